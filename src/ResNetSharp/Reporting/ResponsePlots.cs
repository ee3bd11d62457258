using ResNetSharp.Analysis;
using ScottPlot;

namespace ResNetSharp.Reporting;

/// <summary>
/// Fig. 7 as two PNGs: the std of each 3x3 layer's response by layer index (top of the figure) and the same stds
/// sorted by magnitude (bottom), one line per network.
/// </summary>
public static class ResponsePlots
{
    /// <summary>Size of each PNG in pixels.</summary>
    public const int Width = 800, Height = 400;

    static readonly Color[] Palette =
    [
        Color.FromHex("#1f77b4"), Color.FromHex("#d62728"), Color.FromHex("#2ca02c"), Color.FromHex("#ff7f0e"),
        Color.FromHex("#9467bd"), Color.FromHex("#8c564b"), Color.FromHex("#e377c2"), Color.FromHex("#17becf"),
    ];

    /// <summary>Writes the by-layer plot to <paramref name="pngByLayer"/> and the sorted plot to <paramref name="pngSorted"/>.</summary>
    /// <exception cref="ArgumentException">No network, or one without any measured layer.</exception>
    public static void Write(string pngByLayer, string pngSorted, IReadOnlyList<(string Net, LayerResponseStd Stds)> nets)
    {
        if (nets.Count == 0) throw new ArgumentException("Give at least one network's layer responses to plot.", nameof(nets));
        foreach (var (net, stds) in nets)
            if (stds.Stds.Count == 0) throw new ArgumentException($"'{net}' has no measured layers; measure it with LayerResponses.Measure first.", nameof(nets));
        PlotFonts.Ensure();
        PlotImages.SaveSideBySide(pngByLayer, [Draw(nets, s => s.Stds, "layer index (original)")], Width, Height);
        PlotImages.SaveSideBySide(pngSorted, [Draw(nets, s => s.Sorted, "layer index (sorted by magnitude)")], Width, Height);
    }

    static Plot Draw(IReadOnlyList<(string Net, LayerResponseStd Stds)> nets, Func<LayerResponseStd, IReadOnlyList<double>> values, string xLabel)
    {
        var plot = new Plot();
        for (var i = 0; i < nets.Count; i++)
        {
            var ys = values(nets[i].Stds).ToArray();
            var line = plot.Add.Scatter(Enumerable.Range(1, ys.Length).Select(x => (double)x).ToArray(), ys, Palette[i % Palette.Length]);
            line.LineWidth = 1.5f;
            line.MarkerSize = ys.Length <= 60 ? 4 : 0;
            line.LegendText = nets[i].Net;
        }
        plot.XLabel(xLabel);
        plot.YLabel("std");
        plot.Axes.SetLimitsY(0, nets.SelectMany(n => n.Stds.Stds).Max() * 1.1);
        plot.ShowLegend(Alignment.UpperRight);
        return plot;
    }
}
