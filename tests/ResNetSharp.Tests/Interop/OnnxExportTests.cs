using Onnx;
using ResNetSharp.Data;
using ResNetSharp.Inference;
using ResNetSharp.Interop;
using ResNetSharp.Models;
using ResNetSharp.Tests.Data;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace ResNetSharp.Tests.Interop;

public sealed class OnnxExportTests(ITestOutputHelper output)
{
    // One network of each family; ImageNet nets run at 64x64 to keep the suite fast.
    [Theory]
    [InlineData("resnet20", false)]
    [InlineData("resnet20", true)]
    [InlineData("plain-20", false)]
    [InlineData("plain-20", true)]
    [InlineData("resnet18", false)]
    [InlineData("resnet18", true)]
    [InlineData("resnet18-c", true)]
    [InlineData("resnet50", false)]
    [InlineData("resnet50-v1.5", true)]
    [InlineData("preact-resnet20-basic-a", false)]
    [InlineData("preact-resnet20-basic-a", true)]
    [InlineData("preact-resnet11", false)]
    [InlineData("preact-resnet11", true)]
    [InlineData("preact-resnet18", true)]
    public void Should_Give_The_Outputs_Of_Our_Network_In_OnnxRuntime_For_Any_Batch(string name, bool foldBatchNorm)
    {
        // Given a network in eval mode whose BN layers are far from identity
        using var net = OnnxRunner.Randomised(ModelZoo.Create(name));
        var size = net.Spec.Stem == StemKind.ImageNet ? 64 : 32;

        // When it is exported and run by ONNX Runtime on batches of 1 and 3
        var model = OnnxExport.ToBytes(net, new OnnxExportOptions { FoldBatchNorm = foldBatchNorm });

        // Then logits and features equal ours (the folded network when BN is folded: the same arithmetic) within OnnxRunner.Tolerance (1e-3, relative above 1)
        using var folded = foldBatchNorm ? BatchNormFolding.Fold(net) : null;
        using var noGrad = no_grad();
        var generator = new Generator(7);
        foreach (var batch in new[] { 1, 3 })
        {
            using var x = randn([batch, 3, size, size], generator: generator);
            using var logits = folded is null ? net.call(x) : folded.call(x);
            using var features = folded is null ? net.ForwardFeatures(x) : folded.ForwardFeatures(x);
            using var theirLogits = OnnxRunner.Run(model, x, "logits");
            using var theirFeatures = OnnxRunner.Run(model, x, "features");
            var (dl, df) = (OnnxRunner.MaxAbsDifference(logits, theirLogits), OnnxRunner.MaxAbsDifference(features, theirFeatures));
            output.WriteLine($"{name} fold={foldBatchNorm} batch={batch}: max |ours - ONNX Runtime| logits {dl:E2}, features {df:E2}");
            Assert.InRange(dl, 0f, OnnxRunner.Tolerance(logits));
            Assert.InRange(df, 0f, OnnxRunner.Tolerance(features));
        }
    }

    // Real photographs, not only random tensors: CIFAR-10 test images of the embedded sample, resized and
    // normalised the way predict does it (the ImageNet net sees them upscaled to 64x64).
    [Theory]
    [InlineData("resnet20", 32)]
    [InlineData("plain-20", 32)]
    [InlineData("resnet18", 64)]
    [InlineData("resnet50", 64)]
    public void Should_Give_Our_Outputs_In_OnnxRuntime_On_Real_Images(string name, int size)
    {
        // Given a network with BN far from identity and 12 real test photos, one tensor
        using var net = OnnxRunner.Randomised(ModelZoo.Create(name));
        var files = TestImages.EmbeddedTestPhotos().Where((_, i) => i % 50 == 0).Take(12).ToArray();
        var pre = size == 32 ? ImagePreprocessing.Cifar10 : ImagePreprocessing.ImageNet;
        using var x = pre.ToNormalization().ToTensor(TestImages.CenterViews(files, size), files.Length, size, size);

        // When it is exported (BN unfolded) and ONNX Runtime runs it on the photos
        var model = OnnxExport.ToBytes(net);
        using var noGrad = no_grad();
        using var ours = net.call(x);
        using var theirs = OnnxRunner.Run(model, x, "logits");

        // Then the logits agree within OnnxRunner.Tolerance (1e-3, relative above 1) and so does every image's top class
        var difference = OnnxRunner.MaxAbsDifference(ours, theirs);
        output.WriteLine($"{name} on {files.Length} real images at {size}px: max |ours - ONNX Runtime| {difference:E2} (largest logit {ours.abs().max().item<float>():F2})");
        Assert.InRange(difference, 0f, OnnxRunner.Tolerance(ours));
        Assert.Equal(ours.argmax(1).data<long>().ToArray(), theirs.argmax(1).data<long>().ToArray());
    }

    [Fact]
    public void Should_Use_Only_Standard_Operators_And_Record_Preprocessing()
    {
        // Given a CIFAR net with option A shortcuts and class names
        using var net = ModelZoo.Create("resnet20");
        string[] classes = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"];

        // When it is exported with BN folded
        var model = ModelProto.Parser.ParseFrom(OnnxExport.ToBytes(net, new OnnxExportOptions { FoldBatchNorm = true, ClassNames = classes }));

        // Then the graph has no BN left, option A is Slice + Pad, and preprocessing sits in the metadata
        var ops = model.Graph.Node.Select(n => n.OpType).ToHashSet();
        Assert.Subset(new HashSet<string> { "Conv", "Relu", "Add", "Slice", "Pad", "GlobalAveragePool", "Flatten", "Gemm" }, ops);
        Assert.DoesNotContain("BatchNormalization", ops);
        Assert.Equal(13, model.OpsetImport.Single().Version);
        var meta = model.MetadataProps.ToDictionary(p => p.Key, p => p.Value);
        Assert.Equal("0.4914,0.4822,0.4465", meta["preprocessing.mean"]);
        Assert.Contains("\"truck\"", meta["class_names"]);
        Assert.Equal("batch", model.Graph.Input[0].Type.TensorType.Shape.Dim[0].DimParam);
    }

    [Fact]
    public void Should_Reject_An_Unsupported_Opset_And_Wrong_Class_Names()
    {
        using var net = ModelZoo.Create("resnet20");
        var opset = Assert.Throws<ArgumentException>(() => OnnxExport.ToBytes(net, new OnnxExportOptions { Opset = 9 }));
        Assert.Contains("13 to 21", opset.Message);
        var names = Assert.Throws<ArgumentException>(() => OnnxExport.ToBytes(net, new OnnxExportOptions { ClassNames = ["cat"] }));
        Assert.Contains("10 classes", names.Message);
    }
}
