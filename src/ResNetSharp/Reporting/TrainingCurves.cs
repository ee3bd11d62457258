using ScottPlot;

namespace ResNetSharp.Reporting;

/// <summary>One point of a training curve: errors (fractions in [0, 1]) at an iteration; the test error only where one was measured.</summary>
public sealed record CurvePoint(long Iteration, double TrainError, double? TestError);

/// <summary>
/// One run's curves in a comparison: a legend label (e.g. "resnet20") and the points of its metrics log. <paramref name="Network"/>
/// picks the run's colour (<see cref="PlotStyle.ColourOf"/>); null uses the label.
/// </summary>
public sealed record CurveRun(string Label, IReadOnlyList<CurvePoint> Rows, string? Network = null);

/// <summary>One panel of a comparison figure (e.g. "plain" or "ResNet") holding several runs.</summary>
public sealed record CurvePanel(string Title, IReadOnlyList<CurveRun> Runs);

/// <summary>
/// Training curves as the paper draws them (Fig. 4 and 6): error (%) against iterations, training error dashed and
/// thin, test error solid and bold. <see cref="WriteComparison"/> puts panels side by side (plain left, residual
/// right) on one error axis fitted to the data, one colour per network, the legend right of the data.
/// </summary>
public static class TrainingCurves
{
    /// <summary>Width and height of one panel in pixels.</summary>
    public const int PanelWidth = 640, PanelHeight = 480;

    /// <summary>What the drawing means, for captions.</summary>
    public const string Caption = "training error dashed and thin, test error solid and bold (as Fig. 4/6 of the paper)";

    const float ThinLine = 1.2f, BoldLine = 3f;

    /// <summary>Writes one run's curves to <paramref name="pngPath"/>.</summary>
    /// <exception cref="ArgumentException">The metrics log is empty.</exception>
    public static void Write(string pngPath, IReadOnlyList<CurvePoint> rows, string title) =>
        WriteComparison(pngPath, [new CurvePanel(title, [new CurveRun("", rows)])]);

    /// <summary>
    /// Writes <paramref name="panels"/> side by side to <paramref name="pngPath"/>, all with the same error axis so
    /// plain and residual panels compare at a glance.
    /// </summary>
    /// <exception cref="ArgumentException">No panel, or a run without any metrics.</exception>
    public static void WriteComparison(string pngPath, IReadOnlyList<CurvePanel> panels)
    {
        ArgumentNullException.ThrowIfNull(pngPath);
        PlotImages.SaveSideBySide(pngPath, Plots(panels), PanelWidth, PanelHeight);
    }

    /// <summary>The panels as ScottPlot plots (not yet rendered), for <see cref="WriteComparison"/> and for checking their layout.</summary>
    internal static Plot[] Plots(IReadOnlyList<CurvePanel> panels)
    {
        if (panels.Count == 0) throw new ArgumentException("Give at least one panel of runs to plot.", nameof(panels));
        foreach (var run in panels.SelectMany(p => p.Runs))
            if (run.Rows.Count == 0) throw new ArgumentException($"Run '{run.Label}' has no metrics rows to plot; train it first or leave it out.", nameof(panels));
        PlotFonts.Ensure();
        var values = panels.SelectMany(p => p.Runs).SelectMany(r => r.Rows)
            .SelectMany(m => m.TestError is { } t ? new[] { m.TrainError, t } : [m.TrainError])
            .Where(double.IsFinite).Select(v => v * 100).ToArray();
        var log = PlotStyle.NeedsLog(values);
        return [.. panels.Select(p => Panel(p, values, log))];
    }

    static Plot Panel(CurvePanel panel, double[] allValues, bool log)
    {
        var plot = new Plot();
        var single = panel.Runs.Count == 1 && string.IsNullOrEmpty(panel.Runs[0].Label);
        double Y(double error) => log ? Math.Log10(Math.Max(error * 100, 1e-3)) : error * 100;
        foreach (var run in panel.Runs)
        {
            var colour = single ? Color.FromHex("#1f77b4") : PlotStyle.ColourOf(run.Network ?? run.Label);
            var trained = run.Rows.Where(r => double.IsFinite(r.TrainError)).ToArray();
            var train = plot.Add.Scatter(trained.Select(r => (double)r.Iteration).ToArray(), trained.Select(r => Y(r.TrainError)).ToArray(), colour);
            train.LineWidth = ThinLine;
            train.LinePattern = LinePattern.Dashed;
            train.MarkerSize = trained.Length == 1 ? 5 : 0;
            if (single) train.LegendText = "train";
            var tested = run.Rows.Where(r => r.TestError is not null).ToArray();
            if (tested.Length > 0)
            {
                var test = plot.Add.Scatter(tested.Select(r => (double)r.Iteration).ToArray(), tested.Select(r => Y(r.TestError!.Value)).ToArray(),
                    single ? Color.FromHex("#d62728") : colour);
                test.LineWidth = BoldLine;
                test.MarkerSize = tested.Length == 1 ? 9 : 0;
                test.LegendText = single ? "test" : run.Label;
            }
            else if (!single)
            {
                train.LegendText = run.Label;
            }
        }
        plot.Title(panel.Title + (single ? "" : ": dashed train, bold test"));
        plot.XLabel("iterations");
        plot.YLabel(log ? "error (%, log scale)" : "error (%)");
        var plotted = log ? allValues.Select(v => Math.Log10(Math.Max(v, 1e-3))).ToArray() : allValues;
        PlotStyle.FitY(plot, plotted, log, floor: log ? null : 0, ceiling: log ? 2 : 100);
        // iterations from 0, so a run logged only at its end shows where in the schedule that is
        plot.Axes.SetLimitsX(0, Math.Max(1, panel.Runs.Max(r => r.Rows[^1].Iteration)) * 1.03);
        PlotStyle.LegendOutside(plot);
        return plot;
    }
}
