using System.Buffers.Binary;
using System.Text.Json;
using ResNetSharp.Data;
using ResNetSharp.Inference;
using ResNetSharp.Models;
using ResNetSharp.Pretrained;
using ResNetSharp.Training;

namespace ResNetSharp.Tests.Pretrained;

/// <summary>A tiny network trained a few iterations on the embedded CIFAR-10 sample and released, once for the class.</summary>
public sealed class TinyReleaseFixture : IDisposable
{
    public string Root { get; } = Path.Combine(Path.GetTempPath(), "resnetsharp-tests", "release-" + Guid.NewGuid().ToString("n"));

    public string Run => Path.Combine(Root, "run");

    public string Releases => Path.Combine(Root, "pretrained");

    public string Folder => Path.Combine(Releases, "resnet8-cifar10");

    public ModelCard Card { get; }

    public TinyReleaseFixture()
    {
        var sample = Path.GetDirectoryName(PretrainedCheck.SampleTestFolder)!;
        var config = Recipes.PaperCifar with { Model = "resnet8", Data = sample, BatchSize = 64, Iterations = 20, Milestones = [], Workers = 1, LogEvery = 5, Seed = 7 };
        TrainingRun.Run(config, Run);
        Card = ModelRelease.Create(Run, new ReleaseOptions { OutputRoot = Releases, Name = "resnet8-cifar10", Workers = 1, Notes = "Trained for 20 iterations on the embedded sample." });
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

public sealed class PretrainedModelTests(TinyReleaseFixture release) : IClassFixture<TinyReleaseFixture>
{
    static string RepositoryPretrained
    {
        get
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
                if (File.Exists(Path.Combine(dir.FullName, "ResNetSharp.slnx"))) return Path.Combine(dir.FullName, "pretrained");
            throw new DirectoryNotFoundException("The tests run outside the repository (no ResNetSharp.slnx above them).");
        }
    }

    [Fact]
    public void Should_Ship_Every_Release_Folder_Of_The_Repository_Inside_The_Library()
    {
        // Given the release folders of the repository (none until the lead releases a paper run)
        var folders = Directory.Exists(RepositoryPretrained)
            ? Directory.GetDirectories(RepositoryPretrained).Where(d => File.Exists(Path.Combine(d, PretrainedModel.CardFile))).Select(d => new DirectoryInfo(d).Name).Order(StringComparer.Ordinal).ToArray()
            : [];

        // When the library lists what it carries
        var shipped = PretrainedCatalog.Shipped;

        // Then each folder is embedded, and nothing else is
        Assert.Equal(folders, shipped);
    }

    [Fact]
    public void Should_Load_Every_Shipped_Network_With_Its_Hash_And_The_Sample_Accuracy_Its_Card_States()
    {
        // Given every network shipped with the library (the tiny release below stands in while there are none)
        foreach (var name in PretrainedCatalog.Shipped)
        {
            // When it is loaded by name, Then its hash is verified and it classifies the embedded sample as its card says
            var model = PretrainedCatalog.Get(name);
            Assert.Equal(name, model.Name);
            Assert.True(model.Card.SingleView.Images >= 10_000 || !model.Card.Dataset.StartsWith("cifar", StringComparison.Ordinal),
                $"{name}: a shipped CIFAR network's error must be measured on the full test set, not {model.Card.SingleView.Images} images");
            PretrainedCheck.AssertMatchesItsCard(model);
        }
    }

    [Fact]
    public void Should_Release_A_Tiny_Run_With_Weights_Only_And_A_Card_That_Loading_Confirms()
    {
        // Given a tiny run released into a folder
        var card = release.Card;

        // When it is loaded from that folder through the pretrained API
        var model = PretrainedModel.Load(release.Folder);

        // Then the card records the run, the weights file is fp32 weights and BN statistics under torchvision names only,
        // and the network classifies the sample as the card says
        Assert.Equal("resnet8", card.Network);
        Assert.Equal("cifar10", card.Dataset);
        Assert.Equal(7, card.Seed);
        Assert.Equal(20, card.Iterations);
        Assert.Equal(["train", "--recipe", "paper-cifar"], card.CommandArguments.Take(3));
        Assert.Contains("--seed", card.CommandArguments);
        Assert.Equal(2000, card.Sample!.Images);
        Assert.True(card.EvaluatedOnSample);
        Assert.StartsWith("single view", card.SingleView.Protocol);
        Assert.StartsWith("flip-averaged", card.FlipAveraged.Protocol);
        Assert.Equal([3, 32, 32], card.Preprocessing.MeanShape);
        // the data is named without this machine's paths (the run read it from an absolute path), and the notes are shown
        Assert.DoesNotContain('/', card.Config.Data);
        Assert.DoesNotContain("(/", card.SingleView.Data, StringComparison.Ordinal);
        Assert.DoesNotContain(card.CommandArguments, a => a.StartsWith('/'));
        var markdown = File.ReadAllText(Path.Combine(release.Folder, "MODEL_CARD.md"));
        Assert.Contains("## Notes\n\nTrained for 20 iterations on the embedded sample.", markdown.ReplaceLineEndings("\n"), StringComparison.Ordinal);
        foreach (var file in card.Files) Assert.True(File.Exists(Path.Combine(release.Folder, file)), $"{file} is missing from the release");
        Assert.Equal(card.Weights.Sha256, PretrainedModel.Sha256Of(Path.Combine(release.Folder, PretrainedModel.WeightsFile)));

        var header = Header(Path.Combine(release.Folder, PretrainedModel.WeightsFile));
        var tensors = header.EnumerateObject().Where(p => p.Name != "__metadata__").ToArray();
        using var reference = new ResNet(ModelZoo.Get("resnet8") with { Classes = 10 });
        var expected = reference.state_dict().Keys.Where(k => !k.EndsWith("num_batches_tracked", StringComparison.Ordinal)).Order(StringComparer.Ordinal);
        Assert.Equal(expected, tensors.Select(t => t.Name).Order(StringComparer.Ordinal));
        Assert.All(tensors, t => Assert.Equal("F32", t.Value.GetProperty("dtype").GetString()));
        var normalization = JsonSerializer.Deserialize<Normalization>(header.GetProperty("__metadata__").GetProperty("normalization").GetString()!, Checkpoint.Json)!;
        Assert.Equal(3 * 32 * 32, normalization.Mean.Count); // the mean image ships with the weights

        Assert.Equal(card.Weights.Sha256, model.Card.Weights.Sha256);
        Assert.Equal(32, model.InputSize);
        PretrainedCheck.AssertMatchesItsCard(model);
    }

    [Fact]
    public void Should_Predict_Exactly_As_The_Run_It_Was_Released_From()
    {
        // Given the released network and the run's own checkpoint
        using var released = PretrainedModel.Load(release.Folder).CreateClassifier();
        using var file = ModelFile.Open(Path.Combine(release.Run, RunFolder.LatestFile));
        using var original = file.CreateClassifier();
        var images = Path.Combine(PretrainedCheck.SampleTestFolder, "cat");

        // When both classify the same images
        var a = released.ClassifyFiles([images], topK: 3);
        var b = original.ClassifyFiles([images], topK: 3);

        // Then they agree on every class and probability: the weights and the preprocessing travelled intact
        Assert.Equal(b.Count, a.Count);
        for (var i = 0; i < a.Count; i++)
        {
            Assert.Equal(b[i].Top.Select(t => t.Class), a[i].Top.Select(t => t.Class));
            Assert.Equal(b[i].Top.Select(t => t.Probability), a[i].Top.Select(t => t.Probability), (x, y) => Math.Abs(x - y) < 1e-6);
        }
    }

    [Fact]
    public void Should_Reject_A_Release_Whose_Weights_Have_One_Byte_Changed()
    {
        // Given a copy of the release with one byte of the weights changed
        var copy = Path.Combine(release.Root, "tampered-" + Guid.NewGuid().ToString("n"));
        Directory.CreateDirectory(copy);
        foreach (var file in Directory.GetFiles(release.Folder)) File.Copy(file, Path.Combine(copy, Path.GetFileName(file)));
        var weights = Path.Combine(copy, PretrainedModel.WeightsFile);
        var bytes = File.ReadAllBytes(weights);
        bytes[^7] ^= 0x01;
        File.WriteAllBytes(weights, bytes);

        // When it is loaded
        var error = Assert.Throws<InvalidDataException>(() => PretrainedModel.Load(copy));

        // Then loading fails with one line naming the file and both hashes
        Assert.Contains("SHA-256", error.Message);
        Assert.Contains(release.Card.Weights.Sha256, error.Message);
        Assert.Contains(weights, error.Message);
        Assert.DoesNotContain('\n', error.Message);
    }

    [Fact]
    public void Should_Refuse_To_Build_A_Network_From_Weights_Changed_After_Loading()
    {
        // Given a release loaded from a copy, whose weights are then changed on disk
        var copy = Path.Combine(release.Root, "changed-" + Guid.NewGuid().ToString("n"));
        Directory.CreateDirectory(copy);
        foreach (var file in Directory.GetFiles(release.Folder)) File.Copy(file, Path.Combine(copy, Path.GetFileName(file)));
        var model = PretrainedModel.Load(copy);
        var weights = Path.Combine(copy, PretrainedModel.WeightsFile);
        var bytes = File.ReadAllBytes(weights);
        bytes[^1] ^= 0x80;
        File.WriteAllBytes(weights, bytes);

        // When a network is built from it, Then the changed file is caught
        Assert.Throws<InvalidDataException>(() => model.CreateNetwork());
    }

    [Fact]
    public void Should_Find_Releases_By_Network_And_Dataset_Through_The_Model_Zoo()
    {
        // Given the tiny release in a folder listed in $RESNETSHARP_PRETRAINED
        var before = Environment.GetEnvironmentVariable(PretrainedCatalog.EnvironmentVariable);
        Environment.SetEnvironmentVariable(PretrainedCatalog.EnvironmentVariable, release.Releases);
        try
        {
            // When it is asked for by network and dataset, and an unknown pair is asked for
            var model = ModelZoo.Pretrained("resnet8", "CIFAR10");
            var unknown = Assert.Throws<ArgumentException>(() => ModelZoo.Pretrained("resnet8", "imagenet"));

            // Then the first is the release, verified, and the error lists what is known
            Assert.Equal("resnet8-cifar10", model.Name);
            Assert.Equal(release.Card.Weights.Sha256, model.Card.Weights.Sha256);
            using var net = model.CreateNetwork();
            Assert.False(net.training);
            Assert.Contains("resnet8-imagenet", unknown.Message);
            Assert.Contains("resnet8-cifar10", unknown.Message);
            Assert.Contains(PretrainedCatalog.List(), e => e.Name == "resnet8-cifar10" && e.Source == Path.Combine(release.Releases, "resnet8-cifar10"));
        }
        finally
        {
            Environment.SetEnvironmentVariable(PretrainedCatalog.EnvironmentVariable, before);
        }
    }

    [Fact]
    public void Should_Refuse_To_Overwrite_A_Release_Or_To_Take_An_Unknown_Checkpoint()
    {
        // Given the released run
        var options = new ReleaseOptions { OutputRoot = release.Releases, Name = "resnet8-cifar10", Workers = 1 };

        // When it is released again under the same name, and with an unknown checkpoint
        var again = Assert.Throws<ArgumentException>(() => ModelRelease.Create(release.Run, options));
        var badCheckpoint = Assert.Throws<ArgumentException>(() => ModelRelease.Create(release.Run, options with { Name = "other", Checkpoint = "first" }));

        // Then both fail saying what to do
        Assert.Contains("--force", again.Message);
        Assert.Contains("latest", badCheckpoint.Message);
        Assert.False(Directory.Exists(Path.Combine(release.Releases, "other")));
    }

    static JsonElement Header(string path)
    {
        var bytes = File.ReadAllBytes(path);
        var length = (int)BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        return JsonDocument.Parse(bytes.AsMemory(8, length)).RootElement;
    }
}
