using System.Diagnostics;
using ResNetSharp.Analysis;
using ResNetSharp.Data;
using ResNetSharp.Evaluation;
using ResNetSharp.Training;

namespace ResNetSharp.Reproduce;

/// <summary>
/// What a <see cref="ReproduceRunner"/> trains and measures with for the paper's experiments: a run folder left by an
/// interrupted reproduce continues from its checkpoint; the final training error and Fig. 7's responses are measured on
/// the final weights in eval mode with the test view.
/// </summary>
public static class ReproduceTraining
{
    /// <summary>Trains <paramref name="config"/> into <paramref name="runDirectory"/>, or resumes the run already there.</summary>
    public static TrainingResult TrainOrResume(TrainingConfig config, string runDirectory, ITrainingObserver observer, CancellationToken ct) =>
        File.Exists(Path.Combine(runDirectory, RunFolder.LatestFile))
            ? TrainingRun.Resume(runDirectory, observer, ct)
            : TrainingRun.Run(config, runDirectory, observer, ct);

    /// <summary>
    /// The training error the claims rest on: the final weights in eval mode on <paramref name="images"/> evenly spaced
    /// training images (an ImageFolder lists its images class by class, so the first N would be one class), test view.
    /// <paramref name="progress"/> gets batches done and total.
    /// </summary>
    public static RunMeasurement MeasureFinal(TrainingConfig config, TrainingResult result, int images, Action<int, int>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(result);
        var clock = Stopwatch.StartNew();
        using var checkpoint = Checkpoint.Load(result.LatestCheckpoint);
        using var model = checkpoint.CreateModel();
        var data = TrainingData.Open(checkpoint.Config, checkpoint.Normalization);
        var n = Math.Min(images, data.Train.Count);
        var subset = new Subset(data.Train, [.. Enumerable.Range(0, n).Select(i => (int)((long)i * data.Train.Count / n))]);
        var evaluation = Evaluator.Evaluate(model, Loader(subset, data, config), "final training error", progress: progress);
        return new RunMeasurement(evaluation.Top1Error, subset.Count, data.Test.Count, data.ClassNames.Count, clock.Elapsed.TotalSeconds);
    }

    /// <summary>
    /// Fig. 7: the std of every 3x3 layer's response on the whole test set with the final weights.
    /// <paramref name="progress"/> gets batches done, total and the time so far (the measurement takes minutes on a CPU).
    /// </summary>
    public static LayerResponseStd MeasureResponses(TrainingConfig config, TrainingResult result, Action<int, int, TimeSpan>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(result);
        using var checkpoint = Checkpoint.Load(result.LatestCheckpoint);
        using var model = checkpoint.CreateModel();
        var data = TrainingData.Open(checkpoint.Config, checkpoint.Normalization);
        return LayerResponses.Measure(model, Counted(Loader(data.Test, data, config), progress));
    }

    static DataLoader Loader(IImageDataset images, TrainingData data, TrainingConfig config) =>
        new(images, data.TestTransform, new DataLoaderOptions
        {
            BatchSize = 500,
            Shuffle = false,
            Workers = config.Workers,
            Normalization = data.Normalization,
        });

    static IEnumerable<TorchSharp.torch.Tensor> Counted(DataLoader loader, Action<int, int, TimeSpan>? progress)
    {
        var done = 0;
        var clock = Stopwatch.StartNew();
        foreach (var batch in loader.Epoch(0))
        {
            using (batch) yield return batch.Images;
            progress?.Invoke(++done, loader.BatchesPerEpoch, clock.Elapsed);
        }
    }
}
