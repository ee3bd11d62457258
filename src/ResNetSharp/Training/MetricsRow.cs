using ResNetSharp.Reporting;

namespace ResNetSharp.Training;

/// <summary>
/// One line of a run's metrics log. Training figures average the iterations since the previous row;
/// <see cref="TestError"/> is set on rows written after an evaluation (on the test set, or the held-out
/// validation set when the run uses one). Errors are fractions in [0, 1].
/// </summary>
public sealed record MetricsRow(
    long Iteration,
    double Epoch,
    double LearningRate,
    double TrainLoss,
    double TrainError,
    double? TestError,
    double ImagesPerSecond,
    double Seconds)
{
    /// <summary>The points of <paramref name="rows"/> that a training curve draws.</summary>
    public static IReadOnlyList<CurvePoint> Curve(IEnumerable<MetricsRow> rows) => [.. rows.Select(r => new CurvePoint(r.Iteration, r.TrainError, r.TestError))];
}
