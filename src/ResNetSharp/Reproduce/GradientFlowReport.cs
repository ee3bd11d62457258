using System.Globalization;
using System.Text;
using ResNetSharp.Analysis;
using ResNetSharp.Reporting;
using ResNetSharp.Runtime;

namespace ResNetSharp.Reproduce;

/// <summary>
/// The <c>gradient-flow</c> report: how it was measured, the gradient norm's slope per unit for every network next to
/// the seed's ln λ, the claims checked on the measured slopes, and two figures.
/// </summary>
public static class GradientFlowReport
{
    /// <summary>The figure of the per-unit norms, one panel per λ.</summary>
    public const string CurvesFigure = "gradient-flow-by-unit.png";

    /// <summary>The figure of the per-unit norms with the residual branches starting at zero.</summary>
    public const string ZeroInitCurvesFigure = "gradient-flow-by-unit-zero-init.png";

    /// <summary>The figure of the fitted slopes by depth.</summary>
    public const string SlopesFigure = "gradient-flow-slopes.png";

    /// <summary>"Stable" for λ = 1: the gradient at the first unit within this factor of the last unit's, either way.</summary>
    public const double StableFactor = 10;

    static readonly CultureInfo C = CultureInfo.InvariantCulture;

    /// <summary>Writes report.md and the figures into <paramref name="directory"/>; returns the report's path.</summary>
    public static string Write(string directory, GradientFlowResult result, Provenance? provenance)
    {
        Directory.CreateDirectory(directory);
        GradientFlowPlots.Write(Path.Combine(directory, CurvesFigure), Path.Combine(directory, ZeroInitCurvesFigure), Path.Combine(directory, SlopesFigure), result.Curves);
        var path = Path.Combine(directory, ReportWriter.FileName);
        AtomicFile.WriteAllText(path, Render(result, provenance));
        return path;
    }

    /// <summary>The report as Markdown.</summary>
    public static string Render(GradientFlowResult result, Provenance? provenance)
    {
        var o = result.Options;
        var md = new StringBuilder();
        md.AppendLine("# Reproduction: gradient-flow");
        md.AppendLine();
        md.AppendLine("Identity Mappings sec. 3 (eq. 4–5 with a shortcut coefficient): with x_{l+1} = λ·x_l + F(x_l), the gradient reaching unit l " +
                      "from unit L carries ∏ λ over the units between them — it vanishes for λ < 1 and explodes for λ > 1. No training: measured at initialisation.");
        md.AppendLine();
        md.AppendLine("## Protocol (of every number below)");
        md.AppendLine();
        md.AppendLine(C, $"- **Data:** one batch of {o.Images} images: {result.Data}; normalised per channel by the batch's mean and std; no augmentation.");
        md.AppendLine(C, $"- **Networks:** the CIFAR nets of section 4.2 (original units: conv-BN-ReLU, conv-BN, addition, ReLU; option A where the shape changes), depths {string.Join(", ", o.Depths)}; " +
                         $"shortcut × λ for λ ∈ {{{string.Join(", ", o.Lambdas.Select(l => l.ToString(C)))}}} with the **residual × 1** (the seed's x_{{l+1}} = λ·x_l + F(x_l); λ = 1 is the paper's ResNet){(o.Plain ? ", and the plain nets of the same depths" : "")}.");
        md.AppendLine(string.Create(C, $"- **Initialisation:** the paper's (He et al. 2015 normal for convolutions, BN scale 1 and shift 0), seed {o.Seed}, each network afresh") +
                      (o.ZeroInitResidual ? "; and again for every residual net with each unit's last BN scale at 0 (residual branches start at zero, so each unit is exactly ReLU(λ·x): the shortcut path alone)." : "."));
        md.AppendLine("- **BN mode:** training mode (batch statistics), as during training.");
        md.AppendLine("- **Measured:** ‖∂loss/∂x_l‖ (all elements of the batch) at the input x_l of every unit l, the loss being the mean cross-entropy against the images' labels; " +
                      "k = L − 1 − l units crossed back from the last unit; the slope is the least-squares fit of ln ‖∂loss/∂x_l‖ against k (± its standard error), predicted ln λ.");
        md.AppendLine(C, $"- **Wall time:** {result.Seconds:0} s for {result.Curves.Count} networks.");
        md.AppendLine();

        md.AppendLine("## Slopes per unit crossed back (natural log)");
        md.AppendLine();
        md.AppendLine("| network | init | λ | units | measured slope | predicted ln λ | measured / predicted | ‖g‖ first unit / last unit | predicted λ^(L−1) |");
        md.AppendLine("|---|---|---|---|---|---|---|---|---|");
        foreach (var c in result.Curves)
        {
            var (slope, se) = c.Fit;
            var predicted = c.PredictedSlope;
            md.AppendLine(C,
                $"| {c.Network} | {(c.ZeroInitResidual ? "branches at 0" : "paper")} | {(c.Lambda is { } l ? l.ToString(C) : "plain")} | {c.Norms.Count} | {slope:0.0000} ± {se:0.0000} | {(predicted is { } pr ? pr.ToString("0.0000", C) : "—")} | " +
                $"{(predicted is { } q && q != 0 ? (slope / q).ToString("0.00", C) : "—")} | {Ratio(c.FirstOverLast)} | {(c.Lambda is { } m ? Ratio(Math.Pow(m, c.Norms.Count - 1)) : "—")} |");
        }
        md.AppendLine();

        md.AppendLine("## Claims");
        foreach (var zero in result.Curves.Select(c => c.ZeroInitResidual).Distinct().Order())
        {
            md.AppendLine();
            md.AppendLine(zero ? "### Residual branches starting at zero (the shortcut path alone)" : "### The paper's initialisation");
            md.AppendLine();
            Claims(md, o, [.. result.Curves.Where(c => c.ZeroInitResidual == zero)]);
        }
        md.AppendLine();
        md.AppendLine("The prediction ln λ counts only the shortcut path. At the paper's initialisation the measured slope adds what the residual branches " +
                      "carry back: their train-mode BN keeps each branch at unit scale whatever λ does to the shortcut path, and BN in training mode makes " +
                      "gradients grow on their way back at initialisation (the plain nets' slopes show it without any shortcut). With the branches at zero " +
                      "only the shortcut path carries the gradient, and the measured slope is the seed's ln λ.");
        md.AppendLine();
        Tail(md, provenance, o.ZeroInitResidual);
        return md.ToString();
    }

    static void Claims(StringBuilder md, GradientFlowOptions o, IReadOnlyList<GradientFlowCurve> measured)
    {
        foreach (var lambda in o.Lambdas)
        {
            var curves = measured.Where(c => c.Lambda == lambda).OrderBy(c => c.Depth).ToArray();
            var evidence = string.Join(", ", curves.Select(c => string.Create(C, $"depth {c.Depth}: {c.Fit.Slope:0.000} ± {c.Fit.StandardError:0.000}")));
            if (lambda < 1) Claim(md, string.Create(C, $"λ = {lambda}: the gradient vanishes on its way back (slope < 0 at every depth)."), Sign(curves, negative: true), evidence);
            else if (lambda > 1) Claim(md, string.Create(C, $"λ = {lambda}: the gradient explodes on its way back (slope > 0 at every depth)."), Sign(curves, negative: false), evidence);
            else
            {
                var ratios = string.Join(", ", curves.Select(c => $"depth {c.Depth}: ×{Ratio(c.FirstOverLast)}"));
                var stable = curves.All(c => Math.Abs(Math.Log10(c.FirstOverLast)) < Math.Log10(StableFactor));
                Claim(md, string.Create(C, $"λ = 1: the gradient stays stable — at the first unit within a factor of {StableFactor} of the last unit's, at every depth."),
                    (stable ? Verdict.Reproduced : Verdict.NotReproduced, stable ? "every ratio is inside the band" : "some ratio is outside the band"), ratios + "; slopes " + evidence);
            }
        }
        double SlopeOf(int depth, double lambda) => measured.Single(c => c.Depth == depth && c.Lambda == lambda).Fit.Slope;
        var lambdas = o.Lambdas.Order().ToArray();
        var ordered = o.Depths.All(d => lambdas.Zip(lambdas.Skip(1)).All(p => SlopeOf(d, p.First) < SlopeOf(d, p.Second)));
        Claim(md, "The slope grows with λ at every depth (ordering of the coefficients).", (ordered ? Verdict.Reproduced : Verdict.NotReproduced,
            ordered ? "the ordering holds at every depth" : "the ordering fails at some depth"),
            string.Join("; ", o.Depths.Select(d => $"depth {d}: " + string.Join(", ", lambdas.Select(l => string.Create(C, $"λ {l}: {SlopeOf(d, l):0.000}"))))));
    }

    static void Tail(StringBuilder md, Provenance? provenance, bool zeroInit)
    {
        if (provenance is { } p)
        {
            md.AppendLine("## Provenance");
            md.AppendLine();
            md.AppendLine(C, $"- CPU: {p.Cpu}, {p.LogicalProcessors} logical processors, libtorch on {p.Threads} threads.");
            md.AppendLine(C, $"- Code: {p.CodeVersion} ({p.CodeVersionSource}).");
            md.AppendLine();
        }
        md.AppendLine("## Figures");
        md.AppendLine();
        md.AppendLine(C, $"![{CurvesFigure}]({CurvesFigure})");
        md.AppendLine();
        md.AppendLine($"`{CurvesFigure}`: ‖∂loss/∂x‖ at each unit's input divided by its value at the last unit (log scale) against the units crossed back, one panel per λ " +
                         "(the last panel: plain nets), one colour per network; the dashed black line is the seed's prediction λ^k.");
        md.AppendLine();
        if (zeroInit)
        {
            md.AppendLine(C, $"![{ZeroInitCurvesFigure}]({ZeroInitCurvesFigure})");
            md.AppendLine();
            md.AppendLine($"`{ZeroInitCurvesFigure}`: the same with every residual branch starting at zero, so only the shortcut path carries the gradient.");
            md.AppendLine();
        }
        md.AppendLine(C, $"![{SlopesFigure}]({SlopesFigure})");
        md.AppendLine();
        md.AppendLine($"`{SlopesFigure}`: the fitted slope per unit (natural log) against depth, one colour per λ (and the plain nets); dashed: the predicted ln λ; " +
                      "left: the paper's initialisation, right: residual branches at zero.");
    }

    static string Ratio(double r) => r >= 1e4 || r < 1e-3 ? r.ToString("0.0e0", C) : r.ToString("0.###", C);

    static (Verdict, string) Sign(IReadOnlyList<GradientFlowCurve> curves, bool negative)
    {
        if (curves.Count == 0) return (Verdict.NotChecked, "not measured");
        var z = curves.Select(c => (Slope: c.Fit.Slope, Z: c.Fit.StandardError > 0 ? Math.Abs(c.Fit.Slope) / c.Fit.StandardError : double.PositiveInfinity)).ToArray();
        if (z.Any(s => (negative ? s.Slope > 0 : s.Slope < 0) && s.Z >= Verdicts.NoiseMultiple)) return (Verdict.NotReproduced, "some slope has the opposite sign, beyond noise");
        if (z.Any(s => s.Z < Verdicts.NoiseMultiple)) return (Verdict.Inconclusive, $"some slope is within {Verdicts.NoiseMultiple} standard errors of 0");
        return (Verdict.Reproduced, $"every slope has the predicted sign, beyond {Verdicts.NoiseMultiple} standard errors");
    }

    static void Claim(StringBuilder md, string claim, (Verdict Verdict, string Reason) check, string evidence) =>
        Verdicts.AppendClaim(md, claim, new ClaimCheck(check.Verdict, check.Reason), evidence);
}
