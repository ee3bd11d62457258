using ResNetSharp.Training;
using ScottPlot;
using SkiaSharp;

namespace ResNetSharp.Reporting;

/// <summary>One run's curves in a comparison: a legend label (e.g. "20-layer") and its metrics log.</summary>
public sealed record CurveRun(string Label, IReadOnlyList<MetricsRow> Rows);

/// <summary>One panel of a comparison figure (e.g. "plain" or "ResNet") holding several runs.</summary>
public sealed record CurvePanel(string Title, IReadOnlyList<CurveRun> Runs);

/// <summary>
/// Training curves as the paper draws them (Fig. 4 and 6): error (%) against iterations, training error
/// thin, test error bold. <see cref="WriteComparison"/> puts panels side by side (plain left, residual
/// right), one colour per depth.
/// </summary>
public static class TrainingCurves
{
    /// <summary>Width and height of one panel in pixels.</summary>
    public const int PanelWidth = 640, PanelHeight = 480;

    const float ThinLine = 1f, BoldLine = 3f;

    static readonly Color[] Palette =
    [
        Color.FromHex("#1f77b4"), Color.FromHex("#d62728"), Color.FromHex("#2ca02c"), Color.FromHex("#ff7f0e"),
        Color.FromHex("#9467bd"), Color.FromHex("#8c564b"), Color.FromHex("#e377c2"), Color.FromHex("#17becf"),
    ];

    /// <summary>Writes one run's curves to <paramref name="pngPath"/>.</summary>
    /// <exception cref="ArgumentException">The metrics log is empty.</exception>
    public static void Write(string pngPath, IReadOnlyList<MetricsRow> rows, string title) =>
        WriteComparison(pngPath, [new CurvePanel(title, [new CurveRun("", rows)])]);

    /// <summary>
    /// Writes <paramref name="panels"/> side by side to <paramref name="pngPath"/>, all with the same error axis so
    /// plain and residual panels compare at a glance.
    /// </summary>
    /// <exception cref="ArgumentException">No panel, or a run without any metrics.</exception>
    public static void WriteComparison(string pngPath, IReadOnlyList<CurvePanel> panels)
    {
        ArgumentNullException.ThrowIfNull(pngPath);
        if (panels.Count == 0) throw new ArgumentException("Give at least one panel of runs to plot.", nameof(panels));
        foreach (var run in panels.SelectMany(p => p.Runs))
            if (run.Rows.Count == 0) throw new ArgumentException($"Run '{run.Label}' has no metrics rows to plot; train it first or leave it out.", nameof(panels));
        PlotFonts.Ensure();
        var top = panels.SelectMany(p => p.Runs).SelectMany(r => r.Rows)
            .SelectMany(m => m.TestError is { } t ? new[] { m.TrainError, t } : [m.TrainError]).Max() * 100;
        var plots = panels.Select(p => Panel(p, Math.Min(100, Math.Max(5, top * 1.05)))).ToArray();
        PlotImages.SaveSideBySide(pngPath, plots, PanelWidth, PanelHeight);
    }

    static Plot Panel(CurvePanel panel, double yMax)
    {
        var plot = new Plot();
        var single = panel.Runs.Count == 1;
        for (var i = 0; i < panel.Runs.Count; i++)
        {
            var run = panel.Runs[i];
            var colour = single ? Palette[0] : Palette[i % Palette.Length];
            var name = string.IsNullOrEmpty(run.Label) ? "" : run.Label + " ";
            var train = plot.Add.Scatter(run.Rows.Select(r => (double)r.Iteration).ToArray(), run.Rows.Select(r => r.TrainError * 100).ToArray(), colour);
            train.LineWidth = ThinLine;
            train.MarkerSize = 0;
            train.LegendText = name + "train";
            var tested = run.Rows.Where(r => r.TestError is not null).ToArray();
            if (tested.Length > 0)
            {
                var test = plot.Add.Scatter(tested.Select(r => (double)r.Iteration).ToArray(), tested.Select(r => r.TestError!.Value * 100).ToArray(),
                    single ? Palette[1] : colour);
                test.LineWidth = BoldLine;
                test.MarkerSize = tested.Length == 1 ? 6 : 0;
                test.LegendText = name + "test";
            }
        }
        plot.Title(panel.Title);
        plot.XLabel("iterations");
        plot.YLabel("error (%)");
        plot.Axes.SetLimitsY(0, yMax);
        plot.ShowLegend(Alignment.UpperRight);
        return plot;
    }
}
