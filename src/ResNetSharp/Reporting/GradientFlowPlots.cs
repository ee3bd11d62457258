using System.Globalization;
using ResNetSharp.Analysis;
using ScottPlot;

namespace ResNetSharp.Reporting;

/// <summary>
/// The gradient-flow analysis as two PNGs: the gradient norm at each unit's input against the units crossed on its way
/// back, one panel per shortcut coefficient λ (and one for the plain nets), one colour per network, next to the seed's
/// prediction λ^k; and the fitted slope per unit against depth next to ln λ.
/// </summary>
public static class GradientFlowPlots
{
    /// <summary>Size of each panel in pixels.</summary>
    public const int Width = 900, Height = 420;

    /// <summary>
    /// Writes the per-unit curves at the paper's initialisation to <paramref name="pngCurves"/>, those with the residual branches
    /// at zero (when measured) to <paramref name="pngZeroInitCurves"/>, and the slopes by depth to <paramref name="pngSlopes"/>.
    /// </summary>
    /// <exception cref="ArgumentException">No curve, or one without units.</exception>
    public static void Write(string pngCurves, string pngZeroInitCurves, string pngSlopes, IReadOnlyList<GradientFlowCurve> curves)
    {
        if (curves.Count == 0 || curves.Any(c => c.Norms.Count < 2))
            throw new ArgumentException("Give at least one measured network with two or more units to plot.", nameof(curves));
        PlotFonts.Ensure();
        var inits = curves.GroupBy(c => c.ZeroInitResidual).OrderBy(g => g.Key).ToArray();
        foreach (var init in inits)
            PlotImages.SaveStacked(init.Key ? pngZeroInitCurves : pngCurves, [.. init.GroupBy(c => c.Lambda).Select(g => Panel(g.Key, init.Key, [.. g]))], Width, Height);
        PlotImages.SaveSideBySide(pngSlopes, [.. inits.Select(g => Slopes(g.Key, [.. g]))], Width, Height);
    }

    static string InitText(bool zero) => zero ? "residual branches at zero" : "paper's init";

    static string LambdaText(double? lambda) => lambda is { } l ? string.Create(CultureInfo.InvariantCulture, $"λ = {l}") : "plain nets";

    internal static Plot Panel(double? lambda, bool zero, IReadOnlyList<GradientFlowCurve> curves)
    {
        var plot = new Plot();
        var all = new List<double>();
        foreach (var c in curves)
        {
            var xs = c.UnitsCrossed.Select(k => (double)k).ToArray();
            var ys = c.Norms.Select(n => Math.Log10(n / c.Norms[^1])).ToArray();
            all.AddRange(ys);
            // one colour per depth, the same in every panel
            var line = plot.Add.Scatter(xs, ys, PlotStyle.ColourOf($"resnet{c.Depth}"));
            line.LineWidth = 1.5f;
            line.MarkerSize = c.Norms.Count <= 30 ? 4 : 2;
            line.LegendText = c.Network;
        }
        var longest = curves.Max(c => c.Norms.Count) - 1;
        if (lambda is { } l)
        {
            var predicted = plot.Add.Scatter(new double[] { 0, longest }, new[] { 0, longest * Math.Log10(l) }, Colors.Black);
            predicted.LinePattern = LinePattern.Dashed;
            predicted.MarkerSize = 0;
            predicted.LegendText = "predicted λ^k";
            all.AddRange([0, longest * Math.Log10(l)]);
        }
        plot.Title($"{LambdaText(lambda)}{(lambda is null ? "" : " on the shortcut")}, {InitText(zero)}: ‖∂loss/∂x‖ at unit inputs");
        plot.XLabel("units crossed back from the last unit (k)");
        plot.YLabel("‖g‖ / ‖g‖ at the last unit (log)");
        PlotStyle.FitY(plot, all, log: true);
        PlotStyle.LegendOutside(plot);
        return plot;
    }

    internal static Plot Slopes(bool zero, IReadOnlyList<GradientFlowCurve> curves)
    {
        var plot = new Plot();
        var all = new List<double>();
        var groups = curves.GroupBy(c => c.Lambda).ToArray();
        var depths = curves.Select(c => c.Depth).Distinct().Order().ToArray();
        for (var i = 0; i < groups.Length; i++)
        {
            var colour = PlotStyle.ColourAt(i);
            var measured = groups[i].OrderBy(c => c.Depth).ToArray();
            var line = plot.Add.Scatter(measured.Select(c => (double)c.Depth).ToArray(), measured.Select(c => c.Fit.Slope).ToArray(), colour);
            line.LineWidth = 1.5f;
            line.MarkerSize = 6;
            line.LegendText = $"{LambdaText(groups[i].Key)}, measured";
            all.AddRange(measured.Select(c => c.Fit.Slope));
            if (groups[i].Key is { } l)
            {
                var predicted = plot.Add.Scatter(new double[] { depths[0], depths[^1] }, new[] { Math.Log(l), Math.Log(l) }, colour);
                predicted.LinePattern = LinePattern.Dashed;
                predicted.MarkerSize = 0;
                predicted.LegendText = string.Create(CultureInfo.InvariantCulture, $"λ = {l}, predicted ln λ = {Math.Log(l):0.###}");
                all.Add(Math.Log(l));
            }
        }
        plot.Title($"Slope of ln ‖g‖ per unit crossed back, {InitText(zero)}");
        plot.XLabel("depth (weighted layers)");
        plot.YLabel("slope per unit (natural log)");
        PlotStyle.FitY(plot, all, log: false);
        PlotStyle.LegendOutside(plot);
        return plot;
    }
}
