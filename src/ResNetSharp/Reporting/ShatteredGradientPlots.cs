using ResNetSharp.Analysis;
using ScottPlot;

namespace ResNetSharp.Reporting;

/// <summary>
/// The figures of the shattered-gradients analysis (Balduzzi et al. 2017, Fig. 1–2 and the CIFAR nets): ∂f/∂x along
/// the sweep, its autocorrelation by lag, the neighbouring-input correlation against depth with the fitted and the
/// predicted decays, and the CIFAR nets' gradient correlations against shift and mix. Plain nets are drawn in
/// plain-56's colour, plain nets with BN in plain-32's and residual nets in ResNet-56's; CIFAR nets in their own.
/// </summary>
public static class ShatteredGradientPlots
{
    /// <summary>Size of each panel in pixels.</summary>
    public const int Width = 800, Height = 400;

    /// <summary>Correlations at or below this are drawn at it on a log axis (a log axis cannot show 0 or a negative value).</summary>
    public const double LogFloor = 1e-3;

    static Color Of(SweepNet net) => PlotStyle.ColourOf(net switch
    {
        SweepNet.Plain => "plain-56",
        SweepNet.PlainBatchNorm => "plain-32",
        _ => "resnet56",
    });

    /// <summary>How reports and legends name a sweep net.</summary>
    public static string Label(SweepNet net) => net switch
    {
        SweepNet.Plain => "plain",
        SweepNet.PlainBatchNorm => "plain + BN",
        _ => "residual + BN",
    };

    /// <summary>
    /// One panel per depth of <paramref name="depths"/>, stacked: ∂f/∂x of the first initialisation along the sweep,
    /// plain and residual, each divided by its root mean square so that both shapes share an axis.
    /// </summary>
    public static void Gradients(string png, IReadOnlyList<SweepMeasurement> sweep, IReadOnlyList<double> inputs, IReadOnlyList<int> depths)
    {
        PlotFonts.Ensure();
        var plots = depths.Select(depth =>
        {
            var plot = new Plot();
            var all = new List<double>();
            foreach (var m in sweep.Where(m => m.Depth == depth))
            {
                var rms = Math.Sqrt(m.Gradients.Average(g => g * g));
                var ys = m.Gradients.Select(g => rms > 0 ? g / rms : 0).ToArray();
                all.AddRange(ys);
                var line = plot.Add.Scatter(inputs.ToArray(), ys, Of(m.Net));
                line.LineWidth = 1.2f;
                line.MarkerSize = 0;
                line.LegendText = $"{Label(m.Net)} (rms {rms:0.###})";
            }
            plot.Title($"∂f/∂x along the sweep, depth {depth} (first initialisation)");
            plot.XLabel("input x");
            plot.YLabel("∂f/∂x ÷ its rms");
            plot.Axes.SetLimitsX(inputs[0], inputs[^1]);
            PlotStyle.FitY(plot, all, log: false);
            PlotStyle.LegendOutside(plot);
            return plot;
        }).ToArray();
        PlotImages.SaveStacked(png, plots, Width, Height);
    }

    /// <summary>One panel per net side by side (plain, plain + BN, residual): the mean autocorrelation by lag (in input units) at every depth.</summary>
    public static void Autocorrelation(string png, IReadOnlyList<SweepMeasurement> sweep, double step)
    {
        PlotFonts.Ensure();
        var depths = sweep.Select(m => m.Depth).Distinct().Order().ToArray();
        var palette = new ScottPlot.Palettes.Category10();
        var all = sweep.SelectMany(m => m.Autocorrelation).Where(double.IsFinite).ToArray();
        var plots = Enum.GetValues<SweepNet>().Where(net => sweep.Any(m => m.Net == net)).Select(net =>
        {
            var plot = new Plot();
            foreach (var m in sweep.Where(m => m.Net == net).OrderBy(m => m.Depth))
            {
                var r = m.Autocorrelation;
                var line = plot.Add.Scatter(Enumerable.Range(0, r.Count).Select(k => k * step).ToArray(), r.ToArray(), palette.GetColor(Array.IndexOf(depths, m.Depth)));
                line.LineWidth = 1.5f;
                line.MarkerSize = 0;
                line.LegendText = $"depth {m.Depth}";
            }
            plot.Title($"{Label(net)}: autocorrelation of ∂f/∂x (mean over inits)");
            plot.XLabel("lag (distance between inputs)");
            plot.YLabel("normalised autocorrelation");
            plot.Axes.SetLimitsX(0, (all.Length == 0 ? 1 : sweep[0].Autocorrelation.Count - 1) * step);
            PlotStyle.FitY(plot, all, log: false, ceiling: 1.02);
            PlotStyle.LegendOutside(plot);
            return plot;
        }).ToArray();
        PlotImages.SaveSideBySide(png, plots, Width, Height);
    }

    /// <summary>
    /// The mean lag-1 correlation against depth (± its standard error) of each net, with the fitted decays (plain nets:
    /// exponential, residual: power law) dashed and the paper's predictions (2^(−L) and 1/√L, anchored at the first
    /// depth) dotted; log vertical axis when the correlations span more than <see cref="PlotStyle.LogSpan"/>.
    /// </summary>
    public static void CorrelationByDepth(string png, IReadOnlyList<SweepMeasurement> sweep, IReadOnlyDictionary<SweepNet, ExponentialFit?> exponential, PowerFit? residualFit)
    {
        PlotFonts.Ensure();
        var plot = new Plot();
        var values = sweep.Select(m => m.Lag1).ToList();
        var log = PlotStyle.NeedsLog(values.Select(v => Math.Max(v, LogFloor)));
        double Y(double v) => log ? Math.Log10(Math.Max(v, LogFloor)) : v;
        var shown = new List<double>();
        var maxDepth = sweep.Max(m => m.Depth);
        var dense = Enumerable.Range(0, 101).Select(i => 1 + (maxDepth - 1) * i / 100.0).ToArray();
        foreach (var net in Enum.GetValues<SweepNet>())
        {
            var residual = net == SweepNet.Residual;
            var ms = sweep.Where(m => m.Net == net).OrderBy(m => m.Depth).ToArray();
            if (ms.Length == 0) continue;
            var xs = ms.Select(m => (double)m.Depth).ToArray();
            var ys = ms.Select(m => Y(m.Lag1)).ToArray();
            shown.AddRange(ys);
            var points = plot.Add.Scatter(xs, ys, Of(net));
            points.LineWidth = 0;
            points.MarkerSize = 7;
            points.LegendText = $"{Label(net)}: measured";
            var bars = plot.Add.ErrorBar(xs, ys, [.. ms.Select(m => log ? Math.Log10(Math.Max(m.Lag1 + m.Lag1StandardError, LogFloor)) - Y(m.Lag1) : m.Lag1StandardError)]);
            bars.Color = Of(net);
            var plainFit = residual ? null : exponential.GetValueOrDefault(net);
            Func<double, double>? fitted = residual ? residualFit is { } rf ? rf.At : null : plainFit is { } pf ? pf.At : null;
            if (fitted is not null)
            {
                var from = dense.Where(d => d >= xs[0]).ToArray();
                var curve = plot.Add.Scatter(from, [.. from.Select(d => Y(fitted(d)))], Of(net));
                curve.MarkerSize = 0;
                curve.LinePattern = LinePattern.Dashed;
                curve.LegendText = residual
                    ? $"{Label(net)} fit: L^(−{residualFit!.Exponent:0.###})"
                    : $"{Label(net)} fit: e^(−{plainFit!.Rate:0.###}·L)";
            }
            // the paper's prediction through the shallowest measured point
            var anchor = ms[0];
            if (anchor.Lag1 > 0)
            {
                double Predicted(double d) => residual ? anchor.Lag1 * Math.Sqrt(anchor.Depth / d) : anchor.Lag1 * Math.Pow(2, -(d - anchor.Depth));
                // on a log axis the prediction stops where it leaves the drawn range, instead of running along the floor
                var from = dense.Where(d => d >= xs[0] && (!log || Predicted(d) >= LogFloor)).ToArray();
                var curve = plot.Add.Scatter(from, [.. from.Select(d => Y(Predicted(d)))], Of(net));
                curve.MarkerSize = 0;
                curve.LineWidth = 1;
                curve.LinePattern = LinePattern.Dotted;
                curve.LegendText = $"{Label(net)}, paper: ∝ {(residual ? "1/√L" : "2^(−L)")}";
            }
        }
        plot.Title("Correlation of ∂f/∂x at neighbouring inputs (lag 1) by depth");
        plot.XLabel("depth L (hidden layers / residual units)");
        plot.YLabel(log ? "lag-1 correlation (log scale)" : "lag-1 correlation");
        plot.Axes.SetLimitsX(0, maxDepth * 1.04);
        PlotStyle.FitY(plot, shown, log, ceiling: log ? 0.05 : 1.05);
        PlotStyle.LegendOutside(plot);
        PlotImages.SaveSideBySide(png, [plot], Width + 200, Height);
    }

    /// <summary>
    /// Two panels side by side: each CIFAR net's mean correlation (± standard error over images) against the shift in
    /// pixels, and against the mix t; shift 0 and t = 0 are the original (correlation 1).
    /// </summary>
    public static void Cifar(string png, IReadOnlyList<(string Net, ImageGradientCorrelations Correlations)> nets)
    {
        PlotFonts.Ensure();
        Plot Panel(string title, string xLabel, Func<ImageGradientCorrelations, IReadOnlyList<double>> xs, Func<ImageGradientCorrelations, IReadOnlyList<IReadOnlyList<double>>> values)
        {
            var plot = new Plot();
            var shown = new List<double> { 1 };
            foreach (var (net, c) in nets)
            {
                var x = new[] { 0.0 }.Concat(xs(c)).ToArray();
                var per = values(c).Select(v => v.Where(double.IsFinite).ToArray()).ToArray();
                var y = new[] { 1.0 }.Concat(per.Select(v => v.Length == 0 ? double.NaN : v.Average())).ToArray();
                var se = new[] { 0.0 }.Concat(per.Select(ShatteredGradients.StandardError)).ToArray();
                shown.AddRange(y.Zip(se, (a, b) => a - b));
                var line = plot.Add.Scatter(x, y, PlotStyle.ColourOf(net));
                line.LineWidth = 1.5f;
                line.MarkerSize = 5;
                line.LegendText = net;
                var bars = plot.Add.ErrorBar(x, y, se);
                bars.Color = PlotStyle.ColourOf(net);
            }
            plot.Title(title);
            plot.XLabel(xLabel);
            plot.YLabel("correlation with the original's gradient");
            PlotStyle.FitY(plot, shown, log: false, ceiling: 1.03);
            PlotStyle.LegendOutside(plot);
            return plot;
        }

        PlotImages.SaveSideBySide(png,
        [
            Panel("Input gradient vs the image shifted right", "shift (pixels)", c => [.. c.Shifts.Select(s => (double)s)], c => c.ByShift),
            Panel("Input gradient vs (1 − t)·image + t·other image", "mix t", c => c.Mixes, c => c.ByMix),
        ], Width, Height);
    }
}
