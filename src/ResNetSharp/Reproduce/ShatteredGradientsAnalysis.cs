using System.Diagnostics;
using System.Globalization;
using System.Text;
using ResNetSharp.Analysis;
using ResNetSharp.Data;
using ResNetSharp.Models;
using ResNetSharp.Reporting;
using ResNetSharp.Runtime;
using ResNetSharp.Training;
using static TorchSharp.torch;

namespace ResNetSharp.Reproduce;

/// <summary>What the shattered-gradients analysis measures; the defaults are the paper's sweep and the CIFAR nets of Fig. 7.</summary>
public sealed record ShatteredGradientsOptions
{
    /// <summary>The scalar-input sweep (width 200, 256 points in [−2, 2], depths 2 … 50, 10 initialisations).</summary>
    public SweepOptions Sweep { get; init; } = new();

    /// <summary>The CIFAR nets whose input gradients are compared.</summary>
    public IReadOnlyList<string> CifarNets { get; init; } = ["plain-20", "plain-56", "resnet20", "resnet56", "resnet110"];

    /// <summary>Initialisations per CIFAR net; the correlations of all are pooled.</summary>
    public int CifarInits { get; init; } = 1;

    /// <summary>Test images the CIFAR correlations are averaged over (evenly spaced over the test set; 0 skips the CIFAR part).</summary>
    public int Images { get; init; } = 24;

    /// <summary>Translations to the right, in pixels.</summary>
    public IReadOnlyList<int> Shifts { get; init; } = [1, 2, 4, 8];

    /// <summary>Mixes t of (1 − t)·image + t·next image.</summary>
    public IReadOnlyList<double> Mixes { get; init; } = [0.01, 0.02, 0.05, 0.1, 0.2];

    /// <summary>
    /// The shift the CIFAR claims are checked at: 4 px, because the CIFAR nets downsample twice by stride 2, so their
    /// input gradients at initialisation carry a 4-px periodic pattern that a shift by 1–3 px misaligns in every net.
    /// </summary>
    public int ClaimShift { get; init; } = 4;

    /// <summary>The mix the CIFAR claims are checked at (one of <see cref="Mixes"/>).</summary>
    public double ClaimMix { get; init; } = 0.02;

    /// <summary>cifar10 (official binaries, else the embedded sample) or an ImageFolder root / .tar.gz.</summary>
    public string Data { get; init; } = "cifar10";

    /// <summary>Where the CIFAR binaries are (default the cache).</summary>
    public string? DataDir { get; init; }

    /// <summary>Seed of the CIFAR nets' initialisations.</summary>
    public int Seed { get; init; } = 1;
}

/// <summary>What the analysis measured, with the fits of the sweep.</summary>
public sealed record ShatteredGradientsResult(
    ShatteredGradientsOptions Options,
    IReadOnlyList<SweepMeasurement> Sweep,
    IReadOnlyDictionary<SweepNet, ExponentialFit?> Exponential,
    IReadOnlyDictionary<SweepNet, PowerFit?> Power,
    IReadOnlyList<(string Net, ImageGradientCorrelations Correlations)> Cifar,
    string? DataDescription,
    double SweepSeconds,
    double CifarSeconds);

/// <summary>
/// <c>resnet reproduce shattered-gradients</c>: Balduzzi et al. (ICML 2017), <i>The Shattered Gradients Problem</i>, at
/// initialisation, no training: the scalar-input sweep of plain and residual fully-connected nets (their Fig. 1–2 and
/// the 2^(−L) against 1/√L decay of gradient correlations), and the input-gradient correlations of the CIFAR nets under
/// small shifts and mixes. Writes report.md and PNGs.
/// </summary>
public static class ShatteredGradientsAnalysis
{
    /// <summary>The name <c>resnet reproduce</c> takes.</summary>
    public const string Name = "shattered-gradients";

    /// <summary>What it shows.</summary>
    public const string Title = "Shattered gradients (Balduzzi et al., ICML 2017): correlation of input gradients at initialisation, plain against residual";

    /// <summary>The report's figures.</summary>
    public static readonly IReadOnlyList<string> Figures = ["sweep-gradients.png", "sweep-autocorrelation.png", "sweep-correlation-by-depth.png", "cifar-correlation.png"];

    static readonly CultureInfo C = CultureInfo.InvariantCulture;

    /// <summary>What a run computes, for <c>--plan</c>.</summary>
    public static IReadOnlyList<string> Plan(ShatteredGradientsOptions o)
    {
        var s = o.Sweep;
        var nets = Enum.GetValues<SweepNet>().Length * s.Depths.Count * s.Inits;
        return
        [
            "needs no training: every network is measured at its initialisation (seconds to a few minutes on a CPU)",
            $"sweep: plain, plain + BN and residual + BN fully-connected ReLU nets of width {s.Width} at depths {string.Join(", ", s.Depths)}, {s.Inits} initialisations each " +
            $"({nets} nets); ∂f/∂x at {s.Points} inputs evenly spaced over [{s.From.ToString(C)}, {s.To.ToString(C)}], its autocorrelation, and the fits of the " +
            "lag-1 correlation against depth (exponential and power law) next to the paper's 2^(−L) and 1/√L",
            o.Images == 0
                ? "CIFAR part skipped (0 images)"
                : $"CIFAR: {string.Join(", ", o.CifarNets)} at initialisation ({o.CifarInits} each), input gradients of the top logit on {o.Images} test images " +
                  $"({o.Data}) against copies shifted {string.Join("/", o.Shifts)} px and mixed with the next image at t = {string.Join(", ", o.Mixes.Select(t => t.ToString(C)))} " +
                  $"({o.Images * o.CifarInits * (1 + o.Shifts.Count + o.Mixes.Count)} forward and backward passes per net)",
        ];
    }

    /// <summary>Runs both parts. <paramref name="progress"/> hears what is being measured and data notices.</summary>
    public static ShatteredGradientsResult Measure(ShatteredGradientsOptions o, Action<string>? progress = null)
    {
        var clock = Stopwatch.StartNew();
        var sweep = ShatteredGradients.MeasureSweep(o.Sweep, m =>
            progress?.Invoke(string.Create(C, $"sweep: {m.Net.ToString().ToLowerInvariant()} depth {m.Depth}: lag-1 correlation {m.Lag1:0.000} ± {m.Lag1StandardError:0.000}")));
        var exponential = new Dictionary<SweepNet, ExponentialFit?>();
        var power = new Dictionary<SweepNet, PowerFit?>();
        foreach (var net in Enum.GetValues<SweepNet>())
        {
            // a mean within 2 standard errors of 0 is noise, and its logarithm would pull the fit wherever the noise lands
            var kept = sweep.Where(m => m.Net == net && m.Lag1 > Verdicts.NoiseMultiple * m.Lag1StandardError).OrderBy(m => m.Depth).ToArray();
            IReadOnlyList<double> d = [.. kept.Select(m => (double)m.Depth)], c = [.. kept.Select(m => m.Lag1)];
            exponential[net] = Try(() => ShatteredGradients.FitExponential(d, c));
            power[net] = Try(() => ShatteredGradients.FitPower(d, c));
        }
        var sweepSeconds = clock.Elapsed.TotalSeconds;

        clock.Restart();
        var cifar = new List<(string, ImageGradientCorrelations)>();
        string? description = null;
        if (o.Images > 0)
        {
            var (images, about) = LoadImages(o, progress);
            description = about;
            using (images)
            {
                foreach (var net in o.CifarNets)
                {
                    var parts = new List<ImageGradientCorrelations>();
                    for (var i = 0; i < o.CifarInits; i++)
                    {
                        progress?.Invoke($"CIFAR: {net}, initialisation {i + 1} of {o.CifarInits}");
                        manual_seed(o.Seed * 1_000 + i);
                        using var model = ModelZoo.Create(net);
                        parts.Add(ShatteredGradients.MeasureImages(model, images, o.Shifts, o.Mixes));
                    }
                    cifar.Add((net, ImageGradientCorrelations.Pool(parts)));
                }
            }
        }
        return new ShatteredGradientsResult(o, sweep, exponential, power, cifar, description, sweepSeconds, clock.Elapsed.TotalSeconds);
    }

    static T? Try<T>(Func<T> fit)
        where T : class
    {
        try
        {
            return fit();
        }
        catch (ArgumentException)
        {
            return null; // fewer than two positive correlations: nothing to fit, and the report says so
        }
    }

    // evenly spaced test images, test view, normalised as training normalises them (per-pixel mean of the training set)
    static (Tensor Images, string Description) LoadImages(ShatteredGradientsOptions o, Action<string>? progress)
    {
        var data = TrainingData.Open(Recipes.PaperCifar with { Data = o.Data, DataDir = o.DataDir }, note: progress);
        var n = Math.Min(o.Images, data.Test.Count);
        if (n < 2) throw new InvalidOperationException($"The test set of {data.Description} has {data.Test.Count} images; the CIFAR part needs at least 2.");
        var subset = new Subset(data.Test, [.. Enumerable.Range(0, n).Select(i => (int)((long)i * data.Test.Count / n))]);
        var loader = new DataLoader(subset, data.TestTransform, new DataLoaderOptions { BatchSize = n, Shuffle = false, Workers = 0, Normalization = data.Normalization });
        using var batch = loader.Epoch(0).First();
        return (batch.Images.clone(), $"{n} test images evenly spaced over {data.Description}, test view, per-pixel mean of the training set subtracted (as training does)");
    }

    /// <summary>Writes the PNGs and report.md into <paramref name="folder"/>; returns the report's path.</summary>
    public static string Write(string folder, ShatteredGradientsResult result, Provenance? provenance)
    {
        Directory.CreateDirectory(folder);
        var s = result.Options.Sweep;
        var depths = s.Depths.Order().ToArray();
        var shown = new[] { depths[0], depths[depths.Length / 2], depths[^1] }.Distinct().ToArray();
        ShatteredGradientPlots.Gradients(Path.Combine(folder, Figures[0]), result.Sweep, s.Inputs(), shown);
        ShatteredGradientPlots.Autocorrelation(Path.Combine(folder, Figures[1]), result.Sweep, (s.To - s.From) / (s.Points - 1));
        ShatteredGradientPlots.CorrelationByDepth(Path.Combine(folder, Figures[2]), result.Sweep, result.Exponential, result.Power[SweepNet.Residual]);
        var figures = Figures.Take(3).ToList();
        if (result.Cifar.Count > 0)
        {
            ShatteredGradientPlots.Cifar(Path.Combine(folder, Figures[3]), result.Cifar);
            figures.Add(Figures[3]);
        }
        var path = Path.Combine(folder, ReportWriter.FileName);
        AtomicFile.WriteAllText(path, Render(result, provenance, figures, shown));
        return path;
    }

    /// <summary>The report as Markdown.</summary>
    public static string Render(ShatteredGradientsResult r, Provenance? provenance, IReadOnlyList<string> figures, IReadOnlyList<int> shownDepths)
    {
        var o = r.Options;
        var s = o.Sweep;
        var md = new StringBuilder();
        md.AppendLine(C, $"# Reproduction: {Name}");
        md.AppendLine();
        md.AppendLine(C, $"{Title}.");
        md.AppendLine();
        md.AppendLine("## Protocol (of every number below)");
        md.AppendLine();
        md.AppendLine("- **Training:** none. Every network is measured at its random initialisation, as in the paper.");
        md.AppendLine(C, $"- **Sweep (the paper's setting):** a scalar input x at {s.Points} points evenly spaced over [{s.From}, {s.To}], scalar output f, " +
                         $"fully-connected ReLU nets of width {s.Width}. *Plain*: L hidden layers h ← ReLU(W·h + b) (the first from x), then f = w·h + c; no BN. " +
                         $"*Plain + BN*: the same with h ← ReLU(BN(W·h + b)). " +
                         $"*Residual*: h = W₀·x + b₀ (linear), then L units h ← h + W·ReLU(BN(h)) + b, then f = w·h + c. " +
                         $"Weights N(0, 2/fan_in) (He et al. 2015) in every layer, biases U(±1/√fan_in) (PyTorch's linear default; without biases a ReLU net of a " +
                         $"scalar is linear on each side of 0 and cannot shatter), BN scale 1 and shift 0, float64.");
        md.AppendLine("- **BN decision:** the batch is the sweep. Each BN normalises every feature with the mean and variance over the 256 sweep points, and " +
                      $"those statistics are held fixed when differentiating, so ∂f/∂x at a point is that point's own derivative (the net in eval mode with the " +
                      $"sweep's statistics as its running statistics), not the derivative of the batch coupling.");
        md.AppendLine(C, $"- **Measured:** ∂f/∂x at every point by backpropagation; its normalised autocorrelation r(k) = Σ gᵢgᵢ₊ₖ / √(Σgᵢ² Σgᵢ₊ₖ²) " +
                         $"over the overlapping pairs (not centred: over initialisations a gradient's mean is 0, so this is the paper's normalised covariance), lags 0 … {s.Points / 2}; " +
                         $"the one-number summary is the lag-1 correlation (inputs {(s.To - s.From) / (s.Points - 1):0.0000} apart), mean over {s.Inits} initialisations per net and depth " +
                         $"(seeds derived from {s.Seed}).");
        md.AppendLine(C, $"- **Fits:** ln(lag-1 correlation) against L (exponential: c ∝ e^(−rate·L); the paper's plain-net prediction 2^(−L) is rate ln 2 = 0.693 per layer) " +
                      $"and against ln L (power law: c ∝ L^(−p); the paper's residual prediction 1/√L is p = 0.5), least squares over the depths whose mean correlation is more than " +
                      $"{Verdicts.NoiseMultiple} standard errors above 0 (the others are at the noise floor and have no meaningful logarithm), " +
                      $"± the slope's standard error.");
        if (r.Cifar.Count > 0)
            md.AppendLine(C, $"- **CIFAR nets:** {string.Join(", ", r.Cifar.Select(c => c.Net))} from the project's ModelZoo, at initialisation ({o.CifarInits} per net, torch seed {o.Seed}·1000 + i); " +
                             $"{r.DataDescription}. BN statistics set to those of these images (one pass in training mode with momentum 1, weights untouched), then eval mode, so " +
                             $"each image's gradient is its own. Gradient of the **top logit** (the class the net scores highest on the original image, kept for its copies) with respect " +
                             $"to the input; correlation = cosine between the original's gradient and a copy's: shifted right by {string.Join("/", o.Shifts)} px (vacated columns 0, the mean; " +
                             $"compared on the columns both show, the copy's gradient moved back), or mixed (1 − t)·image + t·next image, t = {string.Join(", ", o.Mixes.Select(t => t.ToString(C)))}.");
        md.AppendLine(C, $"- **Uncertainty:** every mean ± its standard error (sample std / √n over initialisations for the sweep, over images × initialisations for CIFAR). " +
                         $"A comparison counts only when the difference exceeds {Verdicts.NoiseMultiple} combined standard errors, else it is **inconclusive**. A fitted rate " +
                         $"**reproduces** a predicted one when the prediction lies within {Verdicts.NoiseMultiple} standard errors of the fit and the fit explains the data (R² ≥ {MinRSquared}), " +
                         $"is **NOT reproduced** when it lies outside, and is **inconclusive** when the fit is poor or too uncertain to tell.");
        md.AppendLine();

        Sweep(md, r);
        if (r.Cifar.Count > 0) Cifar(md, r);
        md.AppendLine("## Claims");
        md.AppendLine();
        Claims(md, r);
        md.AppendLine();
        if (provenance is { } p)
        {
            md.AppendLine("## Provenance");
            md.AppendLine();
            md.AppendLine(C, $"- CPU: {p.Cpu}, {p.LogicalProcessors} logical processors, libtorch on {p.Threads} threads.");
            md.AppendLine(C, $"- Code: {p.CodeVersion} ({p.CodeVersionSource}).");
            md.AppendLine(C, $"- Wall time: sweep {r.SweepSeconds:0} s, CIFAR nets {r.CifarSeconds:0} s.");
            md.AppendLine();
        }
        if (figures.Count > 0)
        {
            md.AppendLine("## Figures");
            md.AppendLine();
            foreach (var figure in figures)
            {
                md.AppendLine(C, $"![{figure}]({figure})");
                md.AppendLine();
                md.AppendLine(figure switch
                {
                    "sweep-gradients.png" => $"`sweep-gradients.png`: ∂f/∂x along the sweep at depths {string.Join(", ", shownDepths)} (first initialisation), plain, plain + BN and residual + BN, " +
                                             "each divided by its root mean square (given in the legend) so that their shapes share an axis (Balduzzi et al. Fig. 1).",
                    "sweep-autocorrelation.png" => "`sweep-autocorrelation.png`: the autocorrelation of ∂f/∂x against the distance between inputs, mean over initialisations, " +
                                                   "one colour per depth; left to right plain, plain + BN, residual + BN (Fig. 2).",
                    "sweep-correlation-by-depth.png" => "`sweep-correlation-by-depth.png`: the lag-1 correlation against depth ± its standard error; dashed the fits " +
                                                        "(plain nets exponential, residual power law), dotted the paper's predictions 2^(−L) and 1/√L through each net's shallowest point; " +
                                                        $"log scale when the correlations span more than a factor of {PlotStyle.LogSpan} (values ≤ {ShatteredGradientPlots.LogFloor} drawn at it).",
                    _ => "`cifar-correlation.png`: each CIFAR net's mean correlation (± standard error) of the input gradient with that of the shifted (left) and mixed (right) " +
                         "image; 0 is the original itself. One colour per network, as in the other reports.",
                });
                md.AppendLine();
            }
        }
        return md.ToString();
    }

    /// <summary>A fit must explain at least this share of the variance of ln c for its rate to be compared with a prediction.</summary>
    public const double MinRSquared = 0.9;

    static void Sweep(StringBuilder md, ShatteredGradientsResult r)
    {
        var nets = Enum.GetValues<SweepNet>();
        string Names(string what) => string.Join(" | ", nets.Select(n => $"{ShatteredGradientPlots.Label(n)}: {what}"));
        md.AppendLine("## Sweep: correlation of ∂f/∂x at nearby inputs by depth");
        md.AppendLine();
        md.AppendLine($"| depth L | {Names("lag-1 correlation")} | {Names("r at lag 8")} | {Names("rms ∂f/∂x")} |");
        md.AppendLine("|---|" + string.Concat(Enumerable.Repeat("---|", 3 * nets.Length)));
        foreach (var depth in r.Options.Sweep.Depths)
        {
            var ms = nets.Select(n => r.Sweep.First(m => m.Net == n && m.Depth == depth)).ToArray();
            md.AppendLine(C, $"| {depth} | {string.Join(" | ", ms.Select(Mean))} | {string.Join(" | ", ms.Select(m => Lag(m, 8)))} | {string.Join(" | ", ms.Select(m => Rms(m).ToString("0.###", C)))} |");
        }
        md.AppendLine();
        md.AppendLine(C, $"r at lag 8: inputs {8 * (r.Options.Sweep.To - r.Options.Sweep.From) / (r.Options.Sweep.Points - 1):0.###} apart, mean over initialisations. rms ∂f/∂x: of the first initialisation.");
        md.AppendLine();
        md.AppendLine("Fits of the lag-1 correlation against depth:");
        md.AppendLine();
        md.AppendLine("| net | exponential: rate per layer | R² | power law: exponent p | R² | depths fitted | paper |");
        md.AppendLine("|---|---|---|---|---|---|---|");
        foreach (var net in nets)
        {
            var e = r.Exponential[net];
            var w = r.Power[net];
            md.AppendLine(C, $"| {ShatteredGradientPlots.Label(net)} | {(e is null ? "—" : $"{e.Rate:0.0000} ± {e.Line.SlopeStandardError:0.0000}")} | {(e is null ? "—" : e.Line.RSquared.ToString("0.000", C))} | " +
                             $"{(w is null ? "—" : $"{w.Exponent:0.000} ± {w.Line.SlopeStandardError:0.000}")} | {(w is null ? "—" : w.Line.RSquared.ToString("0.000", C))} | {e?.Line.Points ?? 0} of {r.Options.Sweep.Depths.Count} | " +
                             $"{(net == SweepNet.Residual ? "1/√L: p = 0.5" : "2^(−L): rate ln 2 = 0.6931")} |");
        }
        md.AppendLine();
    }

    static string Mean(SweepMeasurement m) => string.Create(C, $"{m.Lag1:0.0000} ± {m.Lag1StandardError:0.0000}");

    static string Lag(SweepMeasurement m, int k) => k < m.Autocorrelation.Count ? m.Autocorrelation[k].ToString("0.000", C) : "—";

    static double Rms(SweepMeasurement m) => Math.Sqrt(m.Gradients.Average(g => g * g));

    static void Cifar(StringBuilder md, ShatteredGradientsResult r)
    {
        var o = r.Options;
        md.AppendLine("## CIFAR nets: correlation of input gradients with those of shifted and mixed copies");
        md.AppendLine();
        md.AppendLine(C, $"The claims below use a {o.ClaimShift}-px shift and t = {o.ClaimMix}. The CIFAR nets downsample twice by stride 2, so at initialisation " +
                         $"their input gradients carry a pattern of period 4 px tied to the stride grid; a shift that is not a multiple of 4 px misaligns that " +
                         $"pattern in plain and residual nets alike, whatever the net's smoothness (compare the 1- and 2-px columns with the 4- and 8-px ones).");
        md.AppendLine();
        md.AppendLine("| network | " + string.Join(" | ", o.Shifts.Select(s => $"shift {s} px")) + " | " + string.Join(" | ", o.Mixes.Select(t => string.Create(C, $"t = {t}"))) + " | images |");
        md.AppendLine("|---|" + string.Concat(Enumerable.Repeat("---|", o.Shifts.Count + o.Mixes.Count + 1)));
        foreach (var (net, c) in r.Cifar)
        {
            var cells = c.ByShift.Concat(c.ByMix).Select(v => Cell(Of(v)));
            md.AppendLine(C, $"| {net} | {string.Join(" | ", cells)} | {c.ByShift[0].Count(double.IsFinite)} |");
        }
        md.AppendLine();
    }

    static Estimate? Of(IReadOnlyList<double> values)
    {
        var finite = values.Where(double.IsFinite).ToArray();
        return finite.Length == 0 ? null : new Estimate(finite.Average(), ShatteredGradients.StandardError(finite), finite.Length, 1);
    }

    static string Cell(Estimate? e) => e is null ? "—" : string.Create(C, $"{e.Value:0.000} ± {e.StandardError:0.000}");

    static void Claims(StringBuilder md, ShatteredGradientsResult r)
    {
        var depths = r.Options.Sweep.Depths;
        var deepest = depths.Max();
        Estimate Lag1(SweepNet net, int depth)
        {
            var m = r.Sweep.First(x => x.Net == net && x.Depth == depth);
            return new Estimate(m.Lag1, m.Lag1StandardError, r.Options.Sweep.Points, m.Lag1PerInit.Count);
        }
        var q = Lag1(SweepNet.Residual, deepest);
        var qe = r.Exponential[SweepNet.Residual];
        foreach (var net in new[] { SweepNet.Plain, SweepNet.PlainBatchNorm })
        {
            var name = ShatteredGradientPlots.Label(net);
            var p = Lag1(net, deepest);
            Claim(md, $"At depth {deepest}, {name} nets' gradients at neighbouring inputs are less correlated than residual nets' (with BN).",
                Verdicts.Compare(name, p, "residual", q, aHigher: false, chance: null), $"{name} {Cell(p)} vs residual {Cell(q)}");
            var pe = r.Exponential[net];
            Claim(md, $"{Capital(name)} nets' correlation falls with depth faster than residual nets' (fitted exponential rates per layer).",
                Verdicts.Compare(name, Rate(pe), "residual", Rate(qe), aHigher: true, chance: null),
                $"{name} {Cell(Rate(pe), "0.0000")} vs residual {Cell(Rate(qe), "0.0000")} per layer");
            Claim(md, $"{Capital(name)} nets: the correlation decays like 2^(−L) (rate ln 2 = 0.693 per layer).",
                RateCheck(pe?.Rate, pe?.Line, Math.Log(2)), pe is null ? "no fit (fewer than two positive correlations)" : string.Create(C, $"fitted rate {pe.Rate:0.0000} ± {pe.Line.SlopeStandardError:0.0000}, R² {pe.Line.RSquared:0.000}"));
        }
        var qp = r.Power[SweepNet.Residual];
        Claim(md, "Residual nets with BN: the correlation decays like 1/√L (exponent 0.5).",
            RateCheck(qp?.Exponent, qp?.Line, 0.5), qp is null ? "no fit" : string.Create(C, $"fitted exponent {qp.Exponent:0.000} ± {qp.Line.SlopeStandardError:0.000}, R² {qp.Line.RSquared:0.000}"));

        if (r.Cifar.Count == 0) return;
        var o = r.Options;
        var byNet = r.Cifar.ToDictionary(c => c.Net, c => c.Correlations);
        var si = o.Shifts.ToList().IndexOf(o.ClaimShift);
        var mi = o.Mixes.ToList().FindIndex(t => Math.Abs(t - o.ClaimMix) < 1e-12);
        void Pair(string plain, string residual)
        {
            if (!byNet.ContainsKey(plain) || !byNet.ContainsKey(residual)) return;
            if (si >= 0)
            {
                var a = Of(byNet[plain].ByShift[si]);
                var b = Of(byNet[residual].ByShift[si]);
                Claim(md, $"CIFAR, {o.ClaimShift}-px shift: {plain}'s input gradient correlates less with its shifted copy's than {residual}'s.",
                    Verdicts.Compare(plain, a, residual, b, aHigher: false, chance: null), $"{plain} {Cell(a)} vs {residual} {Cell(b)}");
            }
            if (mi >= 0)
            {
                var a = Of(byNet[plain].ByMix[mi]);
                var b = Of(byNet[residual].ByMix[mi]);
                Claim(md, string.Create(C, $"CIFAR, mix t = {o.ClaimMix}: {plain}'s input gradient correlates less with the mixed image's than {residual}'s."),
                    Verdicts.Compare(plain, a, residual, b, aHigher: false, chance: null), $"{plain} {Cell(a)} vs {residual} {Cell(b)}");
            }
        }
        Pair("plain-20", "resnet20");
        Pair("plain-56", "resnet56");
        if (byNet.ContainsKey("plain-20") && byNet.ContainsKey("plain-56") && si >= 0)
        {
            var a = Of(byNet["plain-56"].ByShift[si]);
            var b = Of(byNet["plain-20"].ByShift[si]);
            Claim(md, $"CIFAR, {o.ClaimShift}-px shift: the deeper plain net shatters more (plain-56 below plain-20).",
                Verdicts.Compare("plain-56", a, "plain-20", b, aHigher: false, chance: null), $"plain-56 {Cell(a)} vs plain-20 {Cell(b)}");
        }
    }

    static string Capital(string s) => s.Length == 0 ? s : char.ToUpperInvariant(s[0]) + s[1..];

    static Estimate? Rate(ExponentialFit? fit) =>
        fit is null || double.IsNaN(fit.Line.SlopeStandardError) ? null : new Estimate(fit.Rate, fit.Line.SlopeStandardError, fit.Line.Points, 1);

    static string Cell(Estimate? e, string format) => e is null ? "—" : $"{e.Value.ToString(format, C)} ± {e.StandardError.ToString(format, C)}";

    /// <summary>
    /// A fitted value against a predicted one: reproduced when the prediction is within <see cref="Verdicts.NoiseMultiple"/>
    /// standard errors and R² ≥ <see cref="MinRSquared"/>; NOT reproduced when it is outside and the fit is good;
    /// inconclusive when the fit is poor or missing its standard error.
    /// </summary>
    public static ClaimCheck RateCheck(double? fitted, LineFit? line, double predicted)
    {
        if (fitted is not { } f || line is null) return new ClaimCheck(Verdict.NotChecked, "nothing to fit: fewer than two positive correlations");
        if (double.IsNaN(line.SlopeStandardError)) return new ClaimCheck(Verdict.Inconclusive, "two depths only: the fit has no standard error");
        var z = line.SlopeStandardError > 0 ? Math.Abs(f - predicted) / line.SlopeStandardError : double.PositiveInfinity;
        if (line.RSquared < MinRSquared)
            return new ClaimCheck(Verdict.Inconclusive, string.Create(C, $"the fit explains too little (R² {line.RSquared:0.000} < {MinRSquared}); the prediction is {z:0.0} standard errors away"));
        return z <= Verdicts.NoiseMultiple
            ? new ClaimCheck(Verdict.Reproduced, string.Create(C, $"the prediction {predicted:0.###} is {z:0.0} standard errors from the fit"))
            : new ClaimCheck(Verdict.NotReproduced, string.Create(C, $"the prediction {predicted:0.###} is {z:0.0} standard errors from the fit ({f / predicted:0.##}× it)"));
    }

    static void Claim(StringBuilder md, string claim, ClaimCheck check, string evidence) =>
        Verdicts.AppendClaim(md, claim, check, evidence);
}
