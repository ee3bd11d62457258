using ResNetSharp.Reporting;

namespace ResNetSharp.Training;

/// <summary>Keeps one run's training-curve PNG (curve.png) up to date as the run goes.</summary>
sealed class TrainingPlots(string runDirectory, string title, Action<string>? note)
{
    bool warned;

    /// <summary>
    /// Redraws the curve; a failure to draw (e.g. no usable font) never stops training, it is reported once per run.
    /// </summary>
    public void TryWrite(IReadOnlyList<MetricsRow> rows)
    {
        if (rows.Count == 0) return;
        try
        {
            TrainingCurves.Write(Path.Combine(runDirectory, RunFolder.CurveFile), MetricsRow.Curve(rows), title);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            if (!warned) note?.Invoke($"could not draw {RunFolder.CurveFile}: {e.Message}");
            warned = true;
        }
    }
}
