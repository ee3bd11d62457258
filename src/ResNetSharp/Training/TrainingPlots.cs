using ResNetSharp.Reporting;

namespace ResNetSharp.Training;

/// <summary>Keeps a run's training-curve PNG (curve.png) up to date as the run goes.</summary>
static class TrainingPlots
{
    /// <summary>The curve file inside a run folder.</summary>
    public const string CurveFile = "curve.png";

    /// <summary>
    /// Redraws the curve; a failure to draw (e.g. no usable font) never stops training, it is reported once.
    /// </summary>
    public static void TryWrite(string runDirectory, IReadOnlyList<MetricsRow> rows, string title, Action<string>? note = null)
    {
        if (rows.Count == 0) return;
        try
        {
            TrainingCurves.Write(Path.Combine(runDirectory, CurveFile), rows, title);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            if (!warned) note?.Invoke($"could not draw {CurveFile}: {e.Message}");
            warned = true;
        }
    }

    static bool warned;
}
