using ResNetSharp.Models;
using ResNetSharp.Training;
using static TorchSharp.torch;

namespace ResNetSharp.Tests.Training;

[Collection(SeededCollection.Name)]
public sealed class TrainingRunTests
{
    static string RunFolder() => Path.Combine(Path.GetTempPath(), "resnetsharp-tests", "run-" + Guid.NewGuid().ToString("n"));

    [Fact]
    public void Should_Lower_The_Loss_In_A_Few_Iterations()
    {
        // Given a tiny learnable data set
        using var data = new TinyData();

        // When resnet8 trains on it for a few dozen iterations
        var result = TrainingRun.Run(data.Config(24), RunFolder());

        // Then the logged loss falls and the run folder holds the promised files
        var losses = result.Metrics.Where(r => !double.IsNaN(r.TrainLoss)).Select(r => r.TrainLoss).ToArray();
        Assert.True(losses[^1] < losses[0], $"loss went from {losses[0]} to {losses[^1]}");
        foreach (var file in new[] { "config.json", "metrics.jsonl", "metrics.csv", ResNetSharp.Training.RunFolder.LatestFile, ResNetSharp.Training.RunFolder.BestFile })
            Assert.True(File.Exists(Path.Combine(result.RunDirectory, file)), file);
        Assert.NotNull(result.FinalTestError);
    }

    [Theory]
    [InlineData(null)]
    [InlineData(ProgressiveMode.Resize)]
    [InlineData(ProgressiveMode.Crop)]
    public void Should_Resume_An_Interrupted_Run_To_Bit_Identical_Weights(ProgressiveMode? progressiveMode)
    {
        // (with progressive resizing the interruption falls inside the shrunk phase)
        using var data = new TinyData(size: 16);
        var config = data.Config(12) with
        {
            ProgressiveResize = progressiveMode is null ? [] : [new ResizePhase(8, 0.5)],
            ProgressiveMode = progressiveMode ?? ProgressiveMode.Resize,
        };

        // Given an uninterrupted run
        var whole = TrainingRun.Run(config, RunFolder());

        // And a run cancelled after its 5th iteration, then resumed from its checkpoint
        var split = RunFolder();
        using var cancel = new CancellationTokenSource();
        var first = TrainingRun.Run(config, split, new CancelAt(5, cancel), cancel.Token);
        var resumed = TrainingRun.Resume(split);

        // Then both end with exactly the same weights, buffers and momentum
        Assert.True(first.Interrupted);
        Assert.False(resumed.Interrupted);
        using var a = Checkpoint.Load(whole.LatestCheckpoint);
        using var b = Checkpoint.Load(resumed.LatestCheckpoint);
        Assert.Equal(12, b.Progress.Iteration);
        Assert.Equal(a.ModelState.Keys.Order(), b.ModelState.Keys.Order());
        foreach (var (key, tensor) in a.ModelState) Assert.True(tensor.equal(b.ModelState[key]).all().item<bool>(), key);
        foreach (var (key, tensor) in a.Momentum) Assert.True(tensor.equal(b.Momentum[key]).all().item<bool>(), key);
    }

    [Fact]
    public void Should_Stop_On_A_Non_Finite_Loss_Naming_Iteration_And_Rate_And_Keep_The_Last_Checkpoint()
    {
        using var data = new TinyData();
        var folder = RunFolder();

        // Four good steps (checkpointed), then a learning rate that makes the run overflow
        var config = data.Config(40) with { EvalEvery = 2, Milestones = [4], Gamma = 1e12 };
        var e = Assert.Throws<NonFiniteLossException>(() => TrainingRun.Run(config, folder));

        Assert.Contains("iteration", e.Message);
        Assert.Contains("learning rate", e.Message);
        using var kept = Checkpoint.Load(Path.Combine(folder, ResNetSharp.Training.RunFolder.LatestFile));
        Assert.All(kept.ModelState.Values.Where(t => t.is_floating_point()), t => Assert.True(t.isfinite().all().item<bool>()));
    }

    [Fact]
    public void Should_Leave_Weights_And_Momentum_Untouched_On_A_Non_Finite_Step()
    {
        // Given a network with momentum from one good step
        using var model = ModelZoo.Create("resnet8");
        using var sgd = new Sgd(model.named_parameters(), 0.1, 0.9, 1e-4);
        var labels = tensor(new long[] { 0, 1 });
        TrainingRun.Step(model, sgd, randn(2, 3, 8, 8), labels, 0);
        var before = model.state_dict().ToDictionary(p => p.Key, p => p.Value.clone());
        var momentum = sgd.State.ToDictionary(p => p.Key, p => p.Value.clone());

        // When a batch with a NaN pixel makes the loss NaN
        var poisoned = randn(2, 3, 8, 8);
        poisoned[0, 0, 0, 0] = tensor(float.NaN);
        var (loss, _) = TrainingRun.Step(model, sgd, poisoned, labels, 0);

        // Then the step is reported and nothing was updated
        Assert.True(double.IsNaN(loss));
        foreach (var (key, value) in model.state_dict().Where(p => p.Value.is_floating_point() && !p.Key.Contains("running")))
            Assert.True(value.equal(before[key]).all().item<bool>(), key);
        foreach (var (key, value) in sgd.State) Assert.True(value.equal(momentum[key]).all().item<bool>(), key);
    }

    [Fact]
    public void Should_Turn_Epochs_Into_Iterations_Of_The_Data()
    {
        // 64 training images in batches of 16: 4 iterations an epoch
        using var data = new TinyData();

        var result = TrainingRun.Run(data.Config(1000) with { Epochs = 2, Milestones = [500] }, RunFolder());

        using var checkpoint = Checkpoint.Load(result.LatestCheckpoint);
        Assert.Equal(8, checkpoint.Progress.Iteration);
        Assert.Equal(8, checkpoint.Config.Iterations);
        Assert.Equal([4], checkpoint.Config.Milestones);
    }

    [Fact]
    public void Should_Refuse_To_Overwrite_A_Run()
    {
        using var data = new TinyData();
        var folder = RunFolder();
        TrainingRun.Run(data.Config(2), folder);

        var e = Assert.Throws<ArgumentException>(() => TrainingRun.Run(data.Config(2), folder));

        Assert.Contains("--resume", e.Message);
    }

    sealed class Notes : ITrainingObserver
    {
        public List<string> Messages { get; } = [];

        public void Note(string message) => Messages.Add(message);
    }
}

public sealed class FineTuningTests
{
    [Fact]
    public void Should_Fine_Tune_From_A_Checkpoint_With_Frozen_Stages_And_Statistics()
    {
        // Given a run trained on the tiny data with a 5-class head
        using var data = new TinyData();
        var source = Path.Combine(Path.GetTempPath(), "resnetsharp-tests", "ft-src-" + Guid.NewGuid().ToString("n"));
        TrainingRun.Run(data.Config(4) with { Classes = 5 }, source);
        using var before = Checkpoint.Load(Path.Combine(source, ResNetSharp.Training.RunFolder.LatestFile));

        // When a new run starts from it with the first two stages and all BN statistics frozen
        var target = Path.Combine(Path.GetTempPath(), "resnetsharp-tests", "ft-" + Guid.NewGuid().ToString("n"));
        var result = TrainingRun.Run(data.Config(4) with { From = source, FreezeStages = 2, FreezeNorm = true }, target);

        // Then the frozen weights and statistics are unchanged, the last stage moved, and the head fits the data
        using var after = Checkpoint.Load(result.LatestCheckpoint);
        bool Same(string key) => before.ModelState[key].equal(after.ModelState[key]).all().item<bool>();
        Assert.True(Same("conv1.weight"));
        Assert.True(Same("layer2.0.conv1.weight"));
        Assert.True(Same("layer3.0.bn1.running_mean"));
        Assert.False(Same("layer3.0.conv1.weight"));
        Assert.Equal([2L, 64], after.ModelState["fc.weight"].shape);
    }
}
