using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;
using Onnx;
using ResNetSharp.Data;
using ResNetSharp.Interop;
using ResNetSharp.Models;
using ResNetSharp.Tests.Data;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace ResNetSharp.Tests.Interop;

public sealed class OnnxImportTests(ITestOutputHelper output)
{
    static readonly string ThirdPartyResNet18 = Path.Combine(AppContext.BaseDirectory, "DnnImageModels", "ResNet18Onnx", "ResNet18.onnx");
    static readonly string ThirdPartyPreprocess = Path.Combine(AppContext.BaseDirectory, "DnnImageModels", "ResNetPrepOnnx", "ResNetPreprocess.onnx");

    [Fact]
    public void Should_Import_A_Pretrained_ResNet18_Made_By_Another_Tool_And_Match_OnnxRuntime()
    {
        // Given ML.NET's pretrained ResNet-18 feature extractor (exported by CNTK: asymmetric pads, 7x7 AveragePool,
        // output [1, 512, 1, 1], no classifier) and its separate preprocessing graph (RGB→BGR, minus a mean image)
        Assert.True(File.Exists(ThirdPartyResNet18), $"{ThirdPartyResNet18} should be copied from the NuGet package");

        // When it is imported
        var result = OnnxImport.Load(ThirdPartyResNet18);
        using var net = result.Network;

        // Then the structure is ResNet-18-like with option B (this CNTK graph has three units in its last stage,
        // nine Adds in all, not torchvision's two), the output is the pooled features, ...
        var spec = result.Spec;
        Assert.Equal(StemKind.ImageNet, spec.Stem);
        Assert.Equal(BlockKind.Basic, spec.Block);
        Assert.Equal([2, 2, 2, 3], spec.BlocksPerStage);
        Assert.Equal([64, 128, 256, 512], spec.Widths);
        Assert.Equal(ShortcutOption.B, spec.Shortcut);
        Assert.False(spec.PreActivation);
        Assert.False(result.OutputIsLogits);
        Assert.Contains(result.Notes, n => n.Contains("Asymmetric pads", StringComparison.Ordinal));

        // ... and our features equal ONNX Runtime's within OnnxRunner.Tolerance on preprocessed generated images and real photos
        using var options = OnnxRunner.Options();
        using var prep = new InferenceSession(ThirdPartyPreprocess, options);
        using var session = new InferenceSession(ThirdPartyResNet18, options);
        using var noGrad = no_grad();
        var worst = 0f;
        for (var i = 0; i < 5; i++)
        {
            using var image = i < 3 ? GeneratedImage(i) : RealImage(i);
            using var input = OnnxRunner.Run(prep, image, "PreprocessedInput");
            using var theirs = OnnxRunner.Run(session, input, result.OutputName);
            using var ours = net.ForwardFeatures(input);
            worst = Math.Max(worst, OnnxRunner.MaxAbsDifference(ours, theirs.reshape(1, 512)) / OnnxRunner.Tolerance(ours));
        }
        output.WriteLine($"ResNet18 (CNTK) features: max |ours - ONNX Runtime| = {worst:F3} of the tolerance");
        Assert.InRange(worst, 0f, 1f);
    }

    // A CIFAR-10 test photo of the embedded sample upscaled to 224x224, RGB 0..255 as the preprocessing graph expects.
    static Tensor RealImage(int index)
    {
        var bytes = TestImages.CenterViews([TestImages.EmbeddedTestPhotos()[index * 97]], 224);
        return tensor(bytes, [224, 224, 3]).permute(2, 0, 1).to_type(ScalarType.Float32).unsqueeze(0).contiguous();
    }

    // Smooth colour gradients with a disc and some noise, RGB 0..255 as the preprocessing graph expects.
    static Tensor GeneratedImage(int seed)
    {
        var g = new Generator((ulong)seed + 7);
        var ramp = linspace(0, 1, 224);
        var yy = ramp.reshape(224, 1).expand(224, 224);
        var xx = ramp.reshape(1, 224).expand(224, 224);
        var disc = ((xx - 0.3 - 0.1 * seed).square() + (yy - 0.5).square() < 0.05).to_type(ScalarType.Float32);
        var image = stack([xx * 255, yy * (200 - 40 * seed), disc * 255]) + rand([3, 224, 224], generator: g) * 30;
        return image.clamp(0, 255).unsqueeze(0).contiguous();
    }

    [Theory]
    [InlineData("resnet20", false)]
    [InlineData("resnet20", true)]
    [InlineData("plain-20", false)]
    [InlineData("resnet18-c", true)]
    [InlineData("resnet50-v1.5", false)]
    [InlineData("preact-resnet20-basic-a", false)]
    [InlineData("preact-resnet11", true)]
    [InlineData("preact-resnet18", false)]
    public void Should_Import_Our_Own_Exports_Back_Into_The_Same_Network(string name, bool foldBatchNorm)
    {
        // Given an exported network with non-trivial BN
        using var original = OnnxRunner.Randomised(ModelZoo.Create(name));
        var model = OnnxExport.ToBytes(original, new OnnxExportOptions { FoldBatchNorm = foldBatchNorm });

        // When the ONNX graph is imported
        var result = OnnxImport.FromBytes(model, name);
        using var net = result.Network;

        // Then the inferred description is the original's and the logits equal ONNX Runtime's within OnnxRunner.Tolerance
        var (a, b) = (original.Spec, result.Spec);
        Assert.Equal((a.Stem, a.Block, a.StemWidth, a.Residual, a.PreActivation, a.Stride, a.Classes),
            (b.Stem, b.Block, b.StemWidth, b.Residual, b.PreActivation, b.Stride, b.Classes));
        if (a.Residual) Assert.Equal(a.Shortcut, b.Shortcut);
        Assert.Equal(a.BlocksPerStage, b.BlocksPerStage);
        Assert.Equal(a.Widths, b.Widths);
        Assert.True(result.OutputIsLogits);
        using var noGrad = no_grad();
        var side = a.Stem == StemKind.ImageNet ? 64 : 32;
        using var x = randn([2, 3, side, side], generator: new Generator(7));
        using var theirs = OnnxRunner.Run(model, x, "logits");
        using var ours = net.call(x);
        var difference = OnnxRunner.MaxAbsDifference(ours, theirs);
        output.WriteLine($"{name} fold={foldBatchNorm}: max |imported - ONNX Runtime| = {difference:E2}");
        Assert.InRange(difference, 0f, OnnxRunner.Tolerance(theirs));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Should_Import_A_PyTorch_Style_Export_Of_Option_A_With_Zero_Channels_On_Both_Sides(bool foldBatchNorm)
    {
        // Given a CIFAR ResNet-8 written as PyTorch 1.13's exporter writes the popular PyTorch reproductions
        // (scripts/reference/make_pytorch_option_a_onnx.py shows the source): option A pads the zero channels on both
        // sides of the input's channels with pads computed by ConstantOfShape/Concat/Reshape/Slice/Transpose/Cast, the
        // stride is two Slices, avg_pool2d is a zero Pad + pool, and x.view(x.size(0), -1) reads the batch size with Shape
        using var original = OnnxRunner.Randomised(ModelZoo.Create("resnet8"));
        var model = PyTorchStyle(ModelProto.Parser.ParseFrom(OnnxExport.ToBytes(original, new OnnxExportOptions { FoldBatchNorm = foldBatchNorm }))).ToByteArray();

        // When it is imported
        var result = OnnxImport.FromBytes(model, "pytorch-style");
        using var net = result.Network;

        // Then it is read as option A with one unit per stage, the reordering of the carried channels is noted, ...
        Assert.Equal(ShortcutOption.A, result.Spec.Shortcut);
        Assert.Equal([1, 1, 1], result.Spec.BlocksPerStage);
        Assert.Equal([16, 32, 64], result.Spec.Widths);
        Assert.Contains(result.Notes, n => n.Contains("reordered", StringComparison.Ordinal));

        // ... and the logits equal ONNX Runtime's on the same graph
        using var noGrad = no_grad();
        using var x = randn([4, 3, 32, 32], generator: new Generator(3));
        using var theirs = OnnxRunner.Run(model, x, "logits");
        using var ours = net.call(x);
        var difference = OnnxRunner.MaxAbsDifference(ours, theirs);
        output.WriteLine($"fold={foldBatchNorm}: max |imported - ONNX Runtime| = {difference:E2}, logits up to {theirs.abs().max().item<float>():F2}");
        Assert.InRange(difference, 0f, OnnxRunner.Tolerance(theirs));
    }

    // Rewrites our export into the node patterns of PyTorch's exporter (see the test above); the zero channels of every
    // option-A shortcut go half before and half after the input's channels, which makes it a different network.
    static ModelProto PyTorchStyle(ModelProto model)
    {
        var graph = model.Graph;
        var nodes = graph.Node.ToList();
        var constants = graph.Initializer.ToDictionary(t => t.Name);
        var added = new List<NodeProto>();
        NodeProto Node(string op, string name, string[] inputs, params AttributeProto[] attributes)
        {
            var node = new NodeProto { OpType = op, Name = name };
            node.Input.AddRange(inputs);
            node.Output.Add(name);
            node.Attribute.AddRange(attributes);
            return node;
        }
        string Int64s(string name, params long[] values)
        {
            var t = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Int64 };
            t.Dims.Add(values.Length);
            t.Int64Data.AddRange(values);
            var node = new NodeProto { OpType = "Constant", Name = name };
            node.Output.Add(name);
            node.Attribute.Add(new AttributeProto { Name = "value", Type = AttributeProto.Types.AttributeType.Tensor, T = t });
            added.Add(node);
            return name;
        }
        AttributeProto Ints(string name, params long[] values)
        {
            var a = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Ints };
            a.Ints.AddRange(values);
            return a;
        }
        AttributeProto Int(string name, long value) => new() { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = value };

        var result = new List<NodeProto>();
        foreach (var node in nodes)
        {
            added.Clear();
            var p = node.Name;
            if (node.OpType == "Slice")
            {
                // x[:, :, ::2, ::2] as two Slices
                var half = Node("Slice", p + "/h", [node.Input[0], Int64s(p + "/s0", 0), Int64s(p + "/e0", long.MaxValue), Int64s(p + "/a0", 2), Int64s(p + "/t0", 2)]);
                added.Add(half);
                var both = Node("Slice", node.Output[0], [half.Output[0], Int64s(p + "/s1", 0), Int64s(p + "/e1", long.MaxValue), Int64s(p + "/a1", 3), Int64s(p + "/t1", 2)]);
                both.Name = p + "/w";
                added.Add(both);
            }
            else if (node.OpType == "Pad")
            {
                // F.pad(x, (0, 0, 0, 0, before, after)): [0,0,0,0,before,after] ++ zeros(2), reshaped to pairs,
                // reversed, transposed and flattened into ONNX's [begin..., end...] order
                var extra = constants[node.Input[1]].Int64Data.Count > 0 ? constants[node.Input[1]].Int64Data[5] : BitConverter.ToInt64(constants[node.Input[1]].RawData.Span[40..48]);
                var before = extra / 2;
                var zeros = Node("ConstantOfShape", p + "/zeros", [Int64s(p + "/two", 2)],
                    new AttributeProto { Name = "value", Type = AttributeProto.Types.AttributeType.Tensor, T = new TensorProto { DataType = (int)TensorProto.Types.DataType.Int64, Dims = { 1 }, Int64Data = { 0 } } });
                added.Add(zeros);
                added.Add(Node("Concat", p + "/concat", [Int64s(p + "/given", 0, 0, 0, 0, before, extra - before), zeros.Output[0]], Int("axis", 0)));
                added.Add(Node("Reshape", p + "/pairs", [p + "/concat", Int64s(p + "/shape", -1, 2)]));
                added.Add(Node("Slice", p + "/reversed", [p + "/pairs", Int64s(p + "/rs", -1), Int64s(p + "/re", long.MinValue), Int64s(p + "/ra", 0), Int64s(p + "/rt", -1)]));
                added.Add(Node("Transpose", p + "/transposed", [p + "/reversed"], Ints("perm", 1, 0)));
                added.Add(Node("Reshape", p + "/flat", [p + "/transposed", Int64s(p + "/minus1", -1)]));
                added.Add(Node("Cast", p + "/pads", [p + "/flat"], Int("to", (long)TensorProto.Types.DataType.Int64)));
                var pad = node.Clone();
                pad.Input[1] = p + "/pads";
                added.Add(pad);
            }
            else if (node.OpType == "GlobalAveragePool")
            {
                // avg_pool2d: a Pad of nothing, then the pool
                var pad = Node("Pad", p + "/nopad", [node.Input[0], Int64s(p + "/zeropads", 0, 0, 0, 0, 0, 0, 0, 0)]);
                added.Add(pad);
                var pool = node.Clone();
                pool.Input[0] = pad.Output[0];
                added.Add(pool);
            }
            else if (node.OpType == "Flatten")
            {
                // x.view(x.size(0), -1)
                added.Add(Node("Shape", p + "/shape", [node.Input[0]]));
                added.Add(Node("Gather", p + "/batch", [p + "/shape", Int64s(p + "/zero", 0)], Int("axis", 0)));
                added.Add(Node("Concat", p + "/size", [p + "/batch", Int64s(p + "/rest", -1)], Int("axis", 0)));
                var reshape = Node("Reshape", node.Output[0], [node.Input[0], p + "/size"]);
                reshape.Name = p + "/view";
                added.Add(reshape);
            }
            else
            {
                added.Add(node);
            }
            result.AddRange(added);
        }
        graph.Node.Clear();
        graph.Node.AddRange(result);
        return model;
    }

    [Fact]
    public void Should_Reject_A_Graph_That_Is_Not_A_ResNet_Naming_The_First_Node_That_Does_Not_Fit()
    {
        // Given an exported resnet20 in which one unit's activation is a Sigmoid
        using var net = ModelZoo.Create("resnet20");
        var model = ModelProto.Parser.ParseFrom(OnnxExport.ToBytes(net));
        var node = model.Graph.Node.First(n => n.Name == "layer2.0.bn1.relu");
        node.OpType = "Sigmoid";

        // When it is imported
        var error = Assert.Throws<InvalidDataException>(() => OnnxImport.FromBytes(model.ToByteArray()));

        // Then the error names that node
        Assert.Contains("'layer2.0.bn1.relu' (Sigmoid)", error.Message);
    }

    [Fact]
    public void Should_Reject_Bytes_That_Are_Not_Onnx()
    {
        var error = Assert.Throws<InvalidDataException>(() => OnnxImport.FromBytes([1, 2, 3, 4, 5, 6, 7, 8], "noise"));
        Assert.Contains("noise", error.Message);
    }
}
