namespace ResNetSharp.Training;

/// <summary>
/// What a finished (or interrupted) training run leaves behind: its folder, the metrics log, the final
/// errors (fractions in [0, 1]) and the checkpoints to load the model from.
/// </summary>
public sealed record TrainingResult(
    string RunDirectory,
    IReadOnlyList<MetricsRow> Metrics,
    double? FinalTestError,
    double FinalTrainError,
    string LatestCheckpoint,
    string? BestCheckpoint,
    bool Interrupted)
{
    /// <summary>The lowest test (or validation) error evaluated during the run, the one <see cref="BestCheckpoint"/> holds; null when never evaluated.</summary>
    public double? BestTestError { get; init; }
}
