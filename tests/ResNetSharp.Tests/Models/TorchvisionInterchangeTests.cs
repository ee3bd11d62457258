using ResNetSharp.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace ResNetSharp.Tests.Models;

public sealed class TorchvisionInterchangeTests
{
    [Theory]
    [InlineData("resnet18")]
    [InlineData("resnet34")]
    [InlineData("resnet50-v1.5")]
    public void Should_Load_TorchSharp_Torchvision_Weights_By_Name_And_Give_Identical_Outputs(string name)
    {
        // Given a TorchSharp torchvision network with random weights and non-trivial BN statistics
        using var theirs = name switch
        {
            "resnet18" => torchvision.models.resnet18(),
            "resnet34" => torchvision.models.resnet34(),
            _ => torchvision.models.resnet50(),
        };
        using (no_grad())
        {
            foreach (var (key, buffer) in theirs.named_buffers())
            {
                if (key.EndsWith("running_mean", StringComparison.Ordinal)) buffer.copy_(randn_like(buffer) * 0.1);
                if (key.EndsWith("running_var", StringComparison.Ordinal)) buffer.copy_(rand_like(buffer) + 0.5);
            }
        }
        using var ours = ModelZoo.Create(name);

        // When its state dict is loaded into ours, strictly, without renaming
        var (missing, unexpected) = ours.load_state_dict(theirs.state_dict(), strict: true);

        // Then every key matched and the two networks compute the same function
        Assert.Empty(missing);
        Assert.Empty(unexpected);
        theirs.eval();
        ours.eval();
        using var noGrad = no_grad();
        using var x = randn(2, 3, 64, 64);
        using var expected = theirs.call(x);
        using var actual = ours.call(x);
        Assert.Equal(0f, (expected - actual).abs().max().item<float>());
    }
}
