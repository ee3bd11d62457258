using ResNetSharp.Reproduce;
using ResNetSharp.Tests.Training;
using ResNetSharp.Training;

namespace ResNetSharp.Tests.Reproduce;

/// <summary>The trainer and measurements <c>resnet reproduce</c> gives its runner, on a tiny ImageFolder.</summary>
[Collection(SeededCollection.Name)]
public sealed class ReproduceTrainingTests
{
    static string RunFolder() => Path.Combine(Path.GetTempPath(), "resnetsharp-tests", "repro-" + Guid.NewGuid().ToString("n"));

    [Fact]
    public void Should_Continue_An_Interrupted_Run_Folder_Instead_Of_Starting_It_Again()
    {
        using var data = new TinyData();
        var config = data.Config(8);
        var whole = ReproduceTraining.TrainOrResume(config, RunFolder(), new NoObserver(), CancellationToken.None);

        // Given a run folder a reproduce left after 4 of its 8 iterations
        var folder = RunFolder();
        using var cancel = new CancellationTokenSource();
        var first = ReproduceTraining.TrainOrResume(config, folder, new CancelAt(4, cancel), cancel.Token);
        Assert.True(first.Interrupted);

        // When the reproduce is run again, it resumes from iteration 4 and ends as the uninterrupted run did
        var started = new List<long>();
        var second = ReproduceTraining.TrainOrResume(config, folder, new StartedAt(started), CancellationToken.None);
        Assert.Equal([4L], started);
        Assert.Equal(whole.Metrics.Select(r => (r.Iteration, r.TrainLoss, r.TestError)), second.Metrics.Select(r => (r.Iteration, r.TrainLoss, r.TestError)));
    }

    [Fact]
    public void Should_Measure_The_Final_Training_Error_On_The_Asked_Number_Of_Training_Images_And_Responses_Of_Every_3x3_Layer()
    {
        using var data = new TinyData(perClass: 32, testPerClass: 8);
        var config = data.Config(4);
        var result = ReproduceTraining.TrainOrResume(config, RunFolder(), new NoObserver(), CancellationToken.None);

        var progress = new List<(int Done, int Total)>();
        var measured = ReproduceTraining.MeasureFinal(config, result, 10, (done, total) => progress.Add((done, total)));
        Assert.Equal(10, measured.TrainImages);
        Assert.Equal(16, measured.TestImages);
        Assert.Equal(2, measured.Classes);
        Assert.InRange(measured.TrainError, 0, 1);
        // the error of 10 images is a multiple of 1/10
        Assert.Equal(0, measured.TrainError * 10 - Math.Round(measured.TrainError * 10), 9);
        Assert.Equal([(1, 1)], progress);
        Assert.Equal(64, ReproduceTraining.MeasureFinal(config, result, 1_000).TrainImages); // no more than the training set

        var batches = 0;
        var responses = ReproduceTraining.MeasureResponses(config, result, (done, total, _) => batches = done);
        Assert.Equal(6, responses.Layers.Count); // resnet8: 3 units of two 3x3 layers
        Assert.All(responses.Stds, s => Assert.True(double.IsFinite(s) && s > 0, $"std {s}"));
        Assert.Equal(1, batches);
    }

    sealed class NoObserver : ITrainingObserver;

    sealed class StartedAt(List<long> iterations) : ITrainingObserver
    {
        public void Started(TrainingConfig config, ResNetSharp.Models.NetworkSpec spec, TrainingProgress progress, string dataDescription) =>
            iterations.Add(progress.Iteration);
    }
}
