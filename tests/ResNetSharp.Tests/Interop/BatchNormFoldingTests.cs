using ResNetSharp.Inference;
using ResNetSharp.Models;
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
    public void Should_Compute_The_Eval_Mode_Network_With_Each_Conv_BN_Pair_Folded(string name, int bnLeft)
    {
        // Given a network in eval mode with non-trivial BN
        using var net = OnnxRunner.Randomised(ModelZoo.Create(name));
        var size = net.Spec.Stem == StemKind.ImageNet ? 64 : 32;

        // When its BN layers are folded
        using var folded = BatchNormFolding.Fold(net);

        // Then only BNs that follow no convolution remain and the outputs equal the original's within 1e-5
        // relative (‖Δ‖₂ / ‖y‖₂; the largest single difference is reported beside it)
        Assert.Equal(bnLeft, folded.BatchNormCount);
        using var noGrad = no_grad();
        using var x = randn(3, 3, size, size);
        using var expected = net.call(x);
        using var actual = folded.call(x);
        var relative = ((expected - actual).norm() / expected.norm()).item<float>();
        var worst = OnnxRunner.MaxAbsDifference(expected, actual) / expected.abs().max().item<float>();
        output.WriteLine($"{name}: folded vs original, relative L2 {relative:E2}, max abs / max |y| {worst:E2}");
        Assert.InRange(relative, 0f, 1e-5f);
    }
}
