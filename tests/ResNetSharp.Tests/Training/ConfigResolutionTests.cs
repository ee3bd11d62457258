using System.Text.Json;
using ResNetSharp.Runtime;
using ResNetSharp.Training;

namespace ResNetSharp.Tests.Training;

public sealed class ConfigResolutionTests
{
    static string ConfigFile(string json)
    {
        var path = Path.Combine(Path.GetTempPath(), "resnetsharp-tests", Guid.NewGuid().ToString("n") + ".json");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, json);
        return path;
    }

    [Fact]
    public void Should_Resolve_Recipe_Then_File_Then_Overrides()
    {
        // Given a file that sets the model, the rate and Nesterov, and overrides that set the rate again and the seed
        var file = ConfigFile("""{ "model": "resnet32", "LearningRate": 0.05, "nesterov": true }""");
        var overrides = new TrainingOverrides().Set(c => c.LearningRate, 0.02).Set(c => c.Seed, 9);

        // When the cifar-cpu recipe is resolved with both
        var config = TrainingConfig.Resolve("cifar-cpu", file, overrides);

        // Then each field comes from the last source that sets it, and the rest from the recipe
        Assert.Equal("resnet32", config.Model);
        Assert.True(config.Nesterov);
        Assert.Equal(0.02, config.LearningRate);
        Assert.Equal(9, config.Seed);
        Assert.Equal(Recipes.CifarCpu.LabelSmoothing, config.LabelSmoothing);
        Assert.False(config.DecayNormAndBias);
        Assert.Equal(JsonSerializer.Serialize(Recipes.CifarCpu with { Model = "resnet32", LearningRate = 0.02, Nesterov = true, Seed = 9 }, ArtefactJson.Options),
            JsonSerializer.Serialize(config, ArtefactJson.Options));
    }

    [Fact]
    public void Should_Not_Override_The_File_With_A_Field_That_Was_Not_Set()
    {
        // Given a file that turns Nesterov on and overrides of another field only
        var file = ConfigFile("""{ "nesterov": true, "decayNormAndBias": true }""");

        var config = TrainingConfig.Resolve("cifar-cpu", file, new TrainingOverrides().Set(c => c.Workers, 1));

        Assert.True(config.Nesterov);
        Assert.True(config.DecayNormAndBias);
        Assert.Equal(1, config.Workers);
    }

    [Fact]
    public void Should_Scale_By_Budget_After_The_Overrides_And_Keep_Epochs_For_The_Run()
    {
        // Given 1,000 iterations with milestones at 500 and 750 set by overrides, and a budget of a quarter
        var overrides = new TrainingOverrides().Set(c => c.Iterations, 1_000).Set(c => c.Milestones, [500, 750]);

        var scaled = TrainingConfig.Resolve("paper-cifar", overrides: overrides, budget: 0.25);
        var byEpochs = TrainingConfig.Resolve("paper-cifar", overrides: overrides, epochs: 3);

        // Then the budget scales iterations and milestones alike; epochs wait for the data, which gives the iterations
        Assert.Equal(250, scaled.Iterations);
        Assert.Equal([125, 188], scaled.Milestones);
        Assert.Equal(3, byEpochs.Epochs);
        Assert.Equal(1_000, byEpochs.Iterations);
        var run = byEpochs.InIterations(batchesPerEpoch: 50);
        Assert.Null(run.Epochs);
        Assert.Equal(150, run.Iterations);
        Assert.Equal([75, 112], run.Milestones);
        Assert.Same(scaled, scaled.InIterations(50));
    }

    [Fact]
    public void Should_Fail_By_Name_On_An_Unknown_File_Field_Recipe_Or_Network()
    {
        var file = ConfigFile("""{ "learningRat": 0.1 }""");

        var field = Assert.Throws<ArgumentException>(() => TrainingConfig.Resolve("paper-cifar", file));
        var recipe = Assert.Throws<ArgumentException>(() => TrainingConfig.Resolve("paper-cifra"));
        var network = Assert.Throws<ArgumentException>(() => TrainingConfig.Resolve("paper-cifar", overrides: new TrainingOverrides().Set(c => c.Model, "resnet7")));

        Assert.Contains("'learningRat'", field.Message);
        Assert.Contains("learningRate", field.Message);
        Assert.Contains("paper-cifar", recipe.Message);
        Assert.Contains("resnet7", network.Message);
    }

    [Fact]
    public void Should_Refuse_An_Override_That_Is_Not_A_Field()
    {
        var overrides = new TrainingOverrides();

        Assert.Throws<ArgumentException>(() => overrides.Set(c => c.Model.Length, 3));
        Assert.Throws<ArgumentException>(() => overrides.Set(c => c.Iterations + 1, 3));
        Assert.Empty(overrides.Names);
    }

    // config.json as the code before the enums wrote it (strings for augmentation, normalization and progressive mode)
    const string OldConfig = """{"recipe":"cifar-cpu","model":"resnet20","classes":null,"data":"cifar10","dataDir":null,"validation":false,"augmentation":"imagenet-rrc","cropSize":null,"testResize":256,"untrainedClassifier":false,"progressiveResize":[{"side":16,"until":0.359}],"progressiveMode":"crop","normalization":"per-channel","batchSize":128,"learningRate":0.2,"momentum":0.9,"weightDecay":0.0005,"nesterov":false,"decayNormAndBias":false,"labelSmoothing":0.1,"schedule":"OneCycle","epochs":null,"iterations":15210,"milestones":[],"gamma":0.1,"warmupIterations":1014,"paperWarmupLearningRate":null,"paperWarmupUntilError":0.8,"paperWarmupMinDepth":110,"plateauPatience":3,"plateauThreshold":0.001,"evalEvery":0,"logEvery":50,"seed":0,"workers":2,"device":"cpu","channelsLast":true,"precision":"Fp32","from":null,"freezeStages":0,"freezeNorm":false,"zeroInitLast":false,"skipNonFinite":false,"syncBatchNorm":false}""";

    [Fact]
    public void Should_Read_And_Write_The_Option_Names_Of_Older_Files_Byte_For_Byte()
    {
        // When an older config is read and written again
        var config = JsonSerializer.Deserialize<TrainingConfig>(OldConfig, ArtefactJson.Options)!;
        var written = JsonSerializer.Serialize(config, ArtefactJson.Options);

        // Then the strings became enum values and come back as the same text
        Assert.Equal(AugmentationKind.ImageNetRandomResizedCrop, config.Augmentation);
        Assert.Equal(NormalizationKind.PerChannel, config.Normalization);
        Assert.Equal(ProgressiveMode.Crop, config.ProgressiveMode);
        Assert.Equal(OldConfig, written);
    }

    [Theory]
    [InlineData(AugmentationKind.Cifar, "cifar")]
    [InlineData(AugmentationKind.ImageNet, "imagenet")]
    [InlineData(AugmentationKind.ImageNetRandomResizedCrop, "imagenet-rrc")]
    [InlineData(AugmentationKind.None, "none")]
    public void Should_Name_Augmentations_As_Files_And_Flags_Write_Them(AugmentationKind kind, string name)
    {
        Assert.Equal(name, NamedEnum.Name(kind));
        Assert.Equal(kind, NamedEnum.Parse<AugmentationKind>(name, "augmentation"));
        Assert.Equal($"\"{name}\"", JsonSerializer.Serialize(kind, ArtefactJson.Options));
    }

    [Fact]
    public void Should_List_The_Valid_Names_For_An_Unknown_One()
    {
        var augmentation = Assert.Throws<ArgumentException>(() => NamedEnum.Parse<AugmentationKind>("Cifar", "augmentation"));
        var normalization = Assert.Throws<ArgumentException>(() => NamedEnum.Parse<NormalizationKind>("mean", "normalization"));

        Assert.Equal("Unknown augmentation 'Cifar'. Use cifar, imagenet, imagenet-rrc or none.", augmentation.Message);
        Assert.Equal("Unknown normalization 'mean'. Use per-pixel-mean or per-channel.", normalization.Message);
    }
}
