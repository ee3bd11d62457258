using ResNetSharp.Analysis;
using ScottPlot;

namespace ResNetSharp.Reporting;

/// <summary>
/// Fig. 7 as two PNGs: the std of each 3x3 layer's response by layer index (top of the figure), and the stds sorted by
/// magnitude (bottom) in two panels, the first and the second 3x3 layer of each unit apart, because an initialisation
/// that zeroes each unit's last BN scale shrinks only the second. One colour per network; a log axis when the stds
/// span orders of magnitude.
/// </summary>
public static class ResponsePlots
{
    /// <summary>Size of each panel in pixels.</summary>
    public const int Width = 800, Height = 400;

    /// <summary>Writes the by-layer plot to <paramref name="pngByLayer"/> and the sorted plots to <paramref name="pngSorted"/>.</summary>
    /// <exception cref="ArgumentException">No network, or one without any measured layer.</exception>
    public static void Write(string pngByLayer, string pngSorted, IReadOnlyList<(string Net, LayerResponseStd Stds)> nets)
    {
        if (nets.Count == 0) throw new ArgumentException("Give at least one network's layer responses to plot.", nameof(nets));
        foreach (var (net, stds) in nets)
            if (stds.Stds.Count == 0) throw new ArgumentException($"'{net}' has no measured layers; measure it with LayerResponses.Measure first.", nameof(nets));
        PlotFonts.Ensure();
        var all = nets.SelectMany(n => n.Stds.Stds).ToArray();
        var log = PlotStyle.NeedsLog(all);
        PlotImages.SaveSideBySide(pngByLayer, [Draw("Fig. 7 top: std of each 3x3 layer's response, in network order", nets, s => s.Stds, "layer index (original order)", all, log)], Width, Height);
        PlotImages.SaveStacked(pngSorted, SortedPlots(nets, all, log), Width, Height);
    }

    /// <summary>The sorted panels (first layers of units, then second layers when there are any), not yet rendered.</summary>
    internal static Plot[] SortedPlots(IReadOnlyList<(string Net, LayerResponseStd Stds)> nets, double[] all, bool log)
    {
        var plots = new List<Plot> { Draw("Fig. 7 bottom: first 3x3 layer of each unit, sorted by std", nets, s => s.FirstOfUnit.Sorted, "layer index (sorted by magnitude)", all, log) };
        if (nets.Any(n => n.Stds.SecondOfUnit.Stds.Count > 0))
            plots.Add(Draw("second 3x3 layer of each unit (after it: the addition), sorted by std", nets, s => s.SecondOfUnit.Sorted, "layer index (sorted by magnitude)", all, log));
        return [.. plots];
    }

    static Plot Draw(string title, IReadOnlyList<(string Net, LayerResponseStd Stds)> nets, Func<LayerResponseStd, IReadOnlyList<double>> values,
        string xLabel, double[] all, bool log)
    {
        var plot = new Plot();
        foreach (var (net, stds) in nets)
        {
            var ys = values(stds).ToArray();
            if (ys.Length == 0) continue;
            var line = plot.Add.Scatter(Enumerable.Range(1, ys.Length).Select(x => (double)x).ToArray(),
                ys.Select(y => log ? Math.Log10(Math.Max(y, 1e-6)) : y).ToArray(), PlotStyle.ColourOf(net));
            line.LineWidth = 1.5f;
            line.MarkerSize = ys.Length <= 60 ? 4 : 0;
            line.LegendText = net;
        }
        plot.Title(title);
        plot.XLabel(xLabel);
        plot.YLabel(log ? "std (log scale)" : "std");
        PlotStyle.FitY(plot, log ? [.. all.Select(y => Math.Log10(Math.Max(y, 1e-6)))] : all, log, floor: log ? null : 0);
        PlotStyle.LegendOutside(plot);
        return plot;
    }
}
