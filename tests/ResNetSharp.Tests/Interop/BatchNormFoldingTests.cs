using ResNetSharp.Inference;
using ResNetSharp.Models;
using TorchSharp;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace ResNetSharp.Tests.Interop;

public sealed class BatchNormFoldingTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData("resnet20", 0)]
    [InlineData("plain-20", 0)]
    [InlineData("resnet50-v1.5", 0)]
    [InlineData("resnet18-c", 0)]
    [InlineData("preact-resnet11", 4)]   // three units' first BN and the final norm follow additions
    public void Should_Compute_The_Eval_Mode_Network_With_Each_Conv_BN_Pair_Folded(string name, int bnLeft, int seed = 1)
    {
        manual_seed(seed);
        // Given a network in eval mode with non-trivial BN
        using var net = OnnxRunner.Randomised(ModelZoo.Create(name));
        var size = net.Spec.Stem == StemKind.ImageNet ? 64 : 32;

        // When its BN layers are folded
        using var folded = BatchNormFolding.Fold(net);

        // Then only BNs that follow no convolution remain, and the outputs equal the original's within 1e-5 relative
        // (‖Δ‖₂ / ‖y‖₂), except the 50-layer bottleneck net: there float32 rounding of the folded weights alone,
        // amplified ~100x through 50 layers of a random net, measures 4–5e-5 (seen by running both nets in float64), so 2e-4 to leave room for other CPUs' kernels
        Assert.Equal(bnLeft, folded.BatchNormCount);
        using var noGrad = no_grad();
        using var x = randn([3, 3, size, size], generator: new Generator(7));
        using var expected = net.call(x);
        using var actual = folded.call(x);
        var relative = ((expected - actual).norm() / expected.norm()).item<float>();
        output.WriteLine($"{name}: folded vs original in float32, relative L2 {relative:E2}");
        Assert.InRange(relative, 0f, net.Spec.Depth >= 50 ? 2e-4f : 1e-5f);
    }
}
