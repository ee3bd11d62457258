using ResNetSharp.Data;
using ResNetSharp.Interop;
using ResNetSharp.Models;
using ResNetSharp.Training;
using static TorchSharp.torch;

namespace ResNetSharp.Tests.Training;

public sealed class ModelFileTests : IDisposable
{
    readonly string folder = Path.Combine(Path.GetTempPath(), "resnetsharp-tests", "modelfile-" + Guid.NewGuid().ToString("N"));

    public ModelFileTests() => Directory.CreateDirectory(folder);

    public void Dispose() => Directory.Delete(folder, recursive: true);

    [Fact]
    public void Should_Give_The_Same_Network_From_A_Checkpoint_Its_Run_Folder_Its_Weights_And_Its_Onnx_Export()
    {
        // Given a trained-looking resnet8 saved as a checkpoint in a run folder, as weights only, and as ONNX
        using var net = ModelZoo.Create("resnet8");
        net.eval();
        var classes = CifarBinary.Cifar10ClassNames;
        var pre = ImagePreprocessing.Cifar10;
        var config = new TrainingConfig { Model = "resnet8", Classes = 10, CropSize = 32, Iterations = 1, Milestones = [] };
        var run = Path.Combine(folder, "run");
        Directory.CreateDirectory(run);
        Checkpoint.Save(Path.Combine(run, RunFolder.LatestFile), net, null, config, classes, pre.ToNormalization(), new TrainingProgress());
        WeightFiles.SaveSafetensors(net, Path.Combine(folder, "w.safetensors"));
        OnnxExport.Save(net, Path.Combine(folder, "m.onnx"), new OnnxExportOptions { Preprocessing = pre, ClassNames = classes });

        // When each is opened
        using var folderFile = ModelFile.Open(run);
        using var checkpoint = ModelFile.Open(Path.Combine(run, RunFolder.LatestFile));
        using var weights = ModelFile.Open(Path.Combine(folder, "w.safetensors"));
        using var onnx = ModelFile.Open(Path.Combine(folder, "m.onnx"));

        // Then the kinds are told apart, the folder stands for its checkpoint, and every kind holds the same weights
        Assert.Equal((ModelFileKind.Checkpoint, ModelFileKind.Checkpoint, ModelFileKind.Weights, ModelFileKind.Onnx), (folderFile.Kind, checkpoint.Kind, weights.Kind, onnx.Kind));
        Assert.Equal(Path.Combine(run, RunFolder.LatestFile), folderFile.Path);
        foreach (var file in new[] { checkpoint, weights, onnx })
        {
            foreach (var (key, value) in net.state_dict().Where(p => p.Value.dtype == ScalarType.Float32))
                Assert.True(file.Weights[key].allclose(value), $"{file.Kind}: {key}");
        }

        // and the files that describe a network describe the same one, with the same classes and preprocessing
        Assert.Equal(checkpoint.Spec!.Units(), onnx.Spec!.Units());
        Assert.Equal(classes, checkpoint.ClassNames);
        Assert.Equal(classes, onnx.ClassNames);
        Assert.Equal((32, 32), (checkpoint.InputSize, onnx.InputSize));
        Assert.Equal(checkpoint.Preprocessing!.ToString(), onnx.Preprocessing!.ToString());
        Assert.Null(weights.Spec);
        Assert.Throws<InvalidDataException>(() => weights.CreateNetwork());
        using var rebuilt = onnx.CreateNetwork();
        Assert.Equal(net.ParameterCount, rebuilt.ParameterCount);
    }

    [Theory]
    [InlineData("model.onnx", ModelFileKind.Onnx)]
    [InlineData("run/best.ckpt", ModelFileKind.Checkpoint)]
    [InlineData("resnet50.pth", ModelFileKind.Weights)]
    [InlineData("resnet50.safetensors", ModelFileKind.Weights)]
    [InlineData("cat.jpg", null)]
    public void Should_Tell_The_Kind_Of_A_Path_By_Its_Extension(string path, ModelFileKind? kind) =>
        Assert.Equal(kind, ModelFile.KindOf(path));

    [Fact]
    public void Should_Not_Take_A_Folder_Of_Images_For_A_Run_Folder() => Assert.Null(ModelFile.KindOf(folder));
}
