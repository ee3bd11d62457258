using ResNetSharp.Data;
using ResNetSharp.Models;
using ResNetSharp.Training;
using static TorchSharp.torch;

namespace ResNetSharp.Tests.Training;

public sealed class CheckpointTests
{
    static string TempFile() => Path.Combine(Path.GetTempPath(), "resnetsharp-tests", Guid.NewGuid().ToString("n") + ".ckpt");

    static (ResNet Model, Sgd Sgd) TrainedALittle()
    {
        var model = ModelZoo.Create("resnet8");
        var sgd = new Sgd(model.named_parameters(), 0.1, 0.9, 1e-4);
        for (var i = 0; i < 2; i++)
        {
            using var scope = NewDisposeScope();
            var loss = nn.functional.cross_entropy(model.call(randn(4, 3, 16, 16)), tensor(new long[] { 0, 1, 2, 3 }));
            sgd.ZeroGrad();
            loss.backward();
            sgd.Step();
        }
        return (model, sgd);
    }

    [Fact]
    public void Should_Round_Trip_Weights_Buffers_Momentum_And_Config_Bitwise()
    {
        // Given a network and optimiser after two steps
        var (model, sgd) = TrainedALittle();
        var path = TempFile();
        var config = Recipes.PaperCifar with { Model = "resnet8", Seed = 7 };
        var progress = new TrainingProgress { Iteration = 2, BatchesPerEpoch = 10, BestError = 0.5 };

        // When it is saved and loaded
        Checkpoint.Save(path, model, sgd, config, ["a", "b"], Normalization.PerChannel([0.5f, 0.5f, 0.5f], [0.2f, 0.2f, 0.2f]), progress);
        using var loaded = Checkpoint.Load(path);

        // Then every tensor is bitwise equal and the metadata comes back
        foreach (var (key, value) in model.state_dict()) Assert.True(value.equal(loaded.ModelState[key]).all().item<bool>(), key);
        foreach (var (key, value) in sgd.State) Assert.True(value.equal(loaded.Momentum[key]).all().item<bool>(), key);
        Assert.Equal(config.Seed, loaded.Config.Seed);
        Assert.Equal(config.Milestones, loaded.Config.Milestones);
        Assert.Equal(2, loaded.Progress.Iteration);
        Assert.Equal(["a", "b"], loaded.ClassNames);
        Assert.Equal(model.Spec.BlocksPerStage, loaded.Spec.BlocksPerStage);
        using var rebuilt = loaded.CreateModel();
        rebuilt.eval();
        model.eval();
        using var x = randn(2, 3, 16, 16);
        Assert.True(model.call(x).equal(rebuilt.call(x)).all().item<bool>());
    }

    [Fact]
    public void Should_Reject_A_Torn_Checkpoint()
    {
        var (model, sgd) = TrainedALittle();
        var path = TempFile();
        Checkpoint.Save(path, model, sgd, Recipes.PaperCifar, ["a"], Normalization.None, new TrainingProgress());
        var bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..(bytes.Length - 100)]);

        var e = Assert.Throws<InvalidDataException>(() => Checkpoint.Load(path));

        Assert.Contains("not a valid", e.Message);
    }

    [Fact]
    public void Should_Reject_A_Checkpoint_Whose_Data_Changed()
    {
        var (model, sgd) = TrainedALittle();
        var path = TempFile();
        Checkpoint.Save(path, model, sgd, Recipes.PaperCifar, ["a"], Normalization.None, new TrainingProgress());
        var bytes = File.ReadAllBytes(path);
        bytes[^5] ^= 0x40; // one bit of the last tensor
        File.WriteAllBytes(path, bytes);

        var e = Assert.Throws<InvalidDataException>(() => Checkpoint.Load(path));

        Assert.Contains("sha256", e.Message);
    }

    [Fact]
    public void Should_Reject_A_Foreign_File()
    {
        var path = TempFile();
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, "this is not a checkpoint at all");

        var e = Assert.Throws<InvalidDataException>(() => Checkpoint.Load(path));

        Assert.Contains("not a valid", e.Message);
    }
}
