using ResNetSharp.Data;
using ResNetSharp.Models;
using ResNetSharp.Training;

namespace ResNetSharp.Tests.Training;

public sealed class ImportedCheckpointTests
{
    static string TempFile() => Path.Combine(Path.GetTempPath(), "resnetsharp-tests", Guid.NewGuid().ToString("n") + ".ckpt");

    static readonly Normalization PerChannel = Normalization.PerChannel([0.485f, 0.456f, 0.406f], [0.229f, 0.224f, 0.225f]);

    [Fact]
    public void Should_Keep_An_Imported_Model_Without_A_Made_Up_Training_Configuration()
    {
        // Given a network written as an import of "other.onnx" with a 40-pixel view resized from 48
        using var model = ModelZoo.Create("resnet8");
        var path = TempFile();
        var provenance = new ImportedModel("/models/other.onnx", 40, 48, HasTrainedClassifier: false);
        Checkpoint.SaveImported(path, model, [.. Enumerable.Range(0, model.Spec.Classes).Select(i => $"c{i}")], PerChannel, provenance);

        // When it is opened as a model file and loaded as a checkpoint
        using var file = ModelFile.Open(path);
        using var checkpoint = Checkpoint.Load(path);

        // Then it says where it came from and how it sees an image, and has no training configuration to resume
        Assert.Equal(provenance, file.Imported);
        Assert.Null(file.Config);
        Assert.False(file.HasTrainedClassifier);
        Assert.Equal(40, file.Preprocessing!.InputSize);
        Assert.Equal(48, file.Preprocessing.EffectiveResize);
        Assert.Contains("imported from /models/other.onnx", Assert.Throws<InvalidDataException>(() => checkpoint.Config).Message);
    }

    [Fact]
    public void Should_Read_An_Older_Import_Whose_Configuration_Was_Made_Up_As_An_Import()
    {
        // Given a checkpoint as import wrote it before: a training configuration with recipe "imported"
        using var model = ModelZoo.Create("resnet8");
        var path = TempFile();
        var old = new TrainingConfig
        {
            Recipe = "imported",
            Model = model.Spec.Name,
            Data = "/models/old.onnx",
            Augmentation = AugmentationKind.None,
            CropSize = 24,
            TestResize = 32,
            Normalization = NormalizationKind.PerChannel,
            UntrainedClassifier = false,
            Iterations = 1,
            Milestones = [],
        };
        Checkpoint.Save(path, model, null, old, [.. Enumerable.Range(0, model.Spec.Classes).Select(i => $"c{i}")], PerChannel, new TrainingProgress());

        // When it is opened
        using var file = ModelFile.Open(path);

        // Then it reads as an import of that file with the same view
        Assert.Equal(new ImportedModel("/models/old.onnx", 24, 32, HasTrainedClassifier: true), file.Imported);
        Assert.Null(file.Config);
        Assert.True(file.HasTrainedClassifier);
        Assert.Equal(24, file.Preprocessing!.InputSize);
        Assert.Equal(32, file.Preprocessing.EffectiveResize);
        var view = file.Imported!.Evaluation("/data/photos", null);
        Assert.Equal((AugmentationKind.None, 24, 32, "/data/photos"), (view.Augmentation, view.CropSize, view.TestResize, view.Data));
    }
}
