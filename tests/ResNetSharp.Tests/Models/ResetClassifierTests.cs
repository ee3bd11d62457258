using ResNetSharp.Models;
using static TorchSharp.torch;

namespace ResNetSharp.Tests.Models;

public sealed class ResetClassifierTests
{
    [Fact]
    public void Should_Replace_The_Head_And_Keep_The_Features()
    {
        // Given a tiny CIFAR network with 10 classes
        using var net = new ResNet(ModelZoo.Get("resnet8") with { Classes = 10 });
        net.eval();
        using var noGrad = no_grad();
        using var x = randn(2, 3, 32, 32, generator: new Generator(3));
        using var before = net.ForwardFeatures(x);

        // When its classifier is reset to 4 classes
        net.ResetClassifier(4);

        // Then logits have 4 outputs, the spec says 4, the state dict holds the new fc once, and the features are unchanged
        using var logits = net.call(x);
        Assert.Equal([2L, 4L], logits.shape);
        Assert.Equal(4, net.Spec.Classes);
        var state = net.state_dict();
        Assert.Equal([4L, net.Spec.FeatureSize], state["fc.weight"].shape);
        Assert.Single(net.named_children(), c => c.name == "fc");
        using var after = net.ForwardFeatures(x);
        Assert.Equal(0f, (after - before).abs().max().item<float>());
    }
}
