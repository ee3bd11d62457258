using ResNetSharp.Data;
using ResNetSharp.Inference;
using ResNetSharp.Interop;
using ResNetSharp.Models;
using static TorchSharp.torch;

namespace ResNetSharp.Tests.Inference;

public sealed class OnnxRuntimeNetworkTests
{
    public static TheoryData<string> Networks => ["cifar-option-a", "bottleneck-b", "imagenet-basic", "preact-c"];

    static ResNet Build(string name)
    {
        var spec = name switch
        {
            "cifar-option-a" => ModelZoo.Cifar(1) with { Shortcut = ShortcutOption.A },
            "bottleneck-b" => ModelZoo.Cifar(1, BlockKind.Bottleneck) with { Shortcut = ShortcutOption.B },
            "preact-c" => ModelZoo.Cifar(1) with { Shortcut = ShortcutOption.C, PreActivation = true },
            _ => ModelZoo.Get("resnet18") with { BlocksPerStage = [1, 1, 1, 1], Classes = 10 },
        };
        var net = new ResNet(spec);
        // trained-looking BN statistics, so that folding them into the convolutions is really exercised
        using (no_grad())
        {
            foreach (var (name2, buffer) in net.named_buffers())
            {
                if (name2.EndsWith("running_var", StringComparison.Ordinal)) buffer.uniform_(0.5, 2);
                if (name2.EndsWith("running_mean", StringComparison.Ordinal)) buffer.uniform_(-0.2, 0.2);
            }
        }
        net.eval();
        return net;
    }

    [Theory]
    [MemberData(nameof(Networks))]
    public void Should_Give_The_Libtorch_Logits_And_Features(string name)
    {
        // Given a network in eval mode and a batch
        manual_seed(21);
        using var net = Build(name);
        using var scope = NewDisposeScope();
        var x = randn(3, 3, 32, 32);
        using var noGrad = no_grad();
        var logits = net.call(x);
        var features = net.ForwardFeatures(x);

        // When ONNX Runtime runs its exported graph on the same batch
        using var onnx = new OnnxRuntimeNetwork(net);
        var onnxLogits = onnx.Logits(x);
        var onnxFeatures = onnx.Features(x);

        // Then both outputs agree with libtorch's to float rounding
        Assert.Equal(logits.shape, onnxLogits.shape);
        Assert.True(onnxLogits.allclose(logits, rtol: 1e-4, atol: 1e-4), $"max difference {(onnxLogits - logits).abs().max().item<float>()}");
        Assert.True(onnxFeatures.allclose(features, rtol: 1e-4, atol: 1e-4), $"max difference {(onnxFeatures - features).abs().max().item<float>()}");
    }

    [Fact]
    public void Should_Read_Double_And_Channels_Last_Batches_As_The_Float_Batch_And_Leave_The_Input_Usable()
    {
        manual_seed(22);
        using var net = Build("cifar-option-a");
        using var onnx = new OnnxRuntimeNetwork(net);
        using var x = randn(2, 3, 32, 32);
        using var expected = onnx.Logits(x);

        // a double batch and a channels-last (non-contiguous in NCHW order) batch are converted, not misread
        using var asDouble = x.to(ScalarType.Float64);
        using var fromDouble = onnx.Logits(asDouble);
        using var nhwc = x.permute(0, 2, 3, 1).contiguous().permute(0, 3, 1, 2);
        Assert.False(nhwc.is_contiguous());
        using var fromNhwc = onnx.Logits(nhwc);
        Assert.True(fromDouble.allclose(expected, rtol: 1e-5, atol: 1e-5));
        Assert.True(fromNhwc.allclose(expected, rtol: 1e-5, atol: 1e-5));

        // and the caller's tensors stay alive and unchanged (the float batch is read in place, not taken over)
        using var again = onnx.Logits(x);
        Assert.Equal(0f, (again - expected).abs().max().item<float>());
        Assert.Equal(ScalarType.Float64, asDouble.dtype);
    }

    [Fact]
    public void Should_Classify_Through_Onnx_Runtime_As_Through_Libtorch()
    {
        // Given the same network behind a libtorch classifier and one switched to fp32 (ONNX Runtime on a CPU)
        // (the second network gets the first one's weights: tests of other classes draw from the global generator meanwhile)
        manual_seed(22);
        var first = Build("cifar-option-a");
        var second = Build("cifar-option-a");
        second.load_state_dict(first.state_dict());
        using var reference = new ImageClassifier(first, [.. Enumerable.Range(0, 10).Select(i => $"c{i}")], Normalization.None, 32);
        using var classifier = new ImageClassifier(second, [.. Enumerable.Range(0, 10).Select(i => $"c{i}")], Normalization.None, 32);
        var choice = classifier.UsePrecision(Precision.Fp32, fp32Engine: n => new OnnxRuntimeNetwork(n));
        var random = new Random(5);
        var images = Enumerable.Range(0, 4).Select(_ =>
        {
            var pixels = new byte[32 * 32 * 3];
            random.NextBytes(pixels);
            return new RgbImage(32, 32, pixels);
        }).ToArray();

        // When both classify the same images, with 10-crop too
        var expected = reference.Classify(images, topK: 10, tenCrop: true);
        var actual = classifier.Classify(images, topK: 10, tenCrop: true);

        // Then ONNX Runtime ran, and classes and probabilities match
        Assert.True(classifier.UsesOnnxRuntime);
        Assert.False(reference.UsesOnnxRuntime);
        Assert.Contains("ONNX Runtime", choice.Reason);
        for (var i = 0; i < images.Length; i++)
        {
            Assert.Equal(expected[i].Select(s => s.Label), actual[i].Select(s => s.Label));
            Assert.All(expected[i].Zip(actual[i]), p => Assert.Equal(p.First.Probability, p.Second.Probability, 1e-5));
        }
        var features = classifier.Features(images);
        var referenceFeatures = reference.Features(images);
        Assert.All(features.Zip(referenceFeatures), f => Assert.All(f.First.Zip(f.Second), v => Assert.Equal(v.Second, v.First, 1e-3f)));
    }
}
