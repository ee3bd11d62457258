namespace ResNetSharp.Training;

/// <summary>Writes the run's training-curve PNG (filled in when the plotting module lands).</summary>
static class TrainingPlots
{
    public static void TryWrite(string runDirectory, IReadOnlyList<MetricsRow> rows, string title)
    {
        _ = (runDirectory, rows, title);
    }
}
