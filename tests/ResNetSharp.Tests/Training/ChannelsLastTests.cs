using ResNetSharp.Models;
using ResNetSharp.Training;
using static TorchSharp.torch;

namespace ResNetSharp.Tests.Training;

[Collection(SeededCollection.Name)]
public sealed class ChannelsLastTests
{
    public static TheoryData<string, int> BasicNetworks => new()
    {
        { "cifar-option-a", 32 },
        { "imagenet-basic", 64 },
    };

    static ResNet Build(string family) => family switch
    {
        "cifar-option-a" => new ResNet(ModelZoo.Cifar(1) with { Shortcut = ShortcutOption.A }),
        _ => new ResNet(ModelZoo.Get("resnet18") with { BlocksPerStage = [1, 1, 1, 1], Classes = 10 }),
    };

    [Theory]
    [MemberData(nameof(BasicNetworks))]
    public void Should_Match_The_Plain_Layout_In_Outputs_And_Gradients(string family, int size)
    {
        // Given a network of each basic-block family and its plain-layout output and input gradient
        manual_seed(7);
        using var model = Build(family);
        model.train();
        using var scope = NewDisposeScope();
        var x = randn(4, 3, size, size);
        var labels = randint(0, 10, 4);
        var plainInput = x.detach().requires_grad_(true);
        nn.functional.cross_entropy(model.call(plainInput), labels).backward();
        var plainGrad = model.named_parameters().ToDictionary(p => p.name, p => p.parameter.grad!.clone());
        model.zero_grad();

        // When it switches to channels-last and runs the same batch
        var (switched, error) = ChannelsLast.TryApply(model, size, CPU);
        var fastInput = ChannelsLast.Of(x).requires_grad_(true);
        nn.functional.cross_entropy(model.call(fastInput), labels).backward();

        // Then it switched, and every weight gradient and the input gradient agree with the plain layout
        Assert.True(switched, $"error {error}");
        foreach (var (name, p) in model.named_parameters())
        {
            var reference = plainGrad[name];
            var diff = (p.grad! - reference).abs().max().item<float>() / Math.Max(reference.abs().max().item<float>(), 1e-6f);
            Assert.True(diff < 1e-3, $"{name}: relative difference {diff}");
        }
        Assert.True((plainInput.grad! - fastInput.grad!).abs().max().item<float>() < 1e-3 * plainInput.grad!.abs().max().item<float>());
    }

    [Fact]
    public void Should_Keep_Training_After_Switching_A_Network_With_1x1_Projections()
    {
        // Given an ImageNet basic network (1x1 projection shortcuts) switched to channels-last
        manual_seed(3);
        using var model = Build("imagenet-basic");
        model.train();
        var (switched, _) = ChannelsLast.TryApply(model, 64, CPU);
        using var sgd = new Sgd(model.named_parameters(), 0.1, 0.9, 1e-4);
        using var scope = NewDisposeScope();
        var x = ChannelsLast.Of(randn(2, 3, 64, 64));
        var labels = randint(0, 10, 2);

        // When it takes three SGD steps (updates in place, then forward again)
        var losses = Enumerable.Range(0, 3).Select(_ => TrainingRun.Step(model, sgd, x, labels, 0).Loss).ToArray();

        // Then every step ran and gave a finite loss
        Assert.True(switched);
        Assert.All(losses, l => Assert.True(double.IsFinite(l)));
    }

    [Fact]
    public void Should_Keep_The_Option_A_Shortcut_Channels_Last()
    {
        // Given a channels-last batch
        using var scope = NewDisposeScope();
        var x = randn(2, 16, 8, 8);
        var fast = ChannelsLast.Of(x);

        // When option A subsamples and pads it
        using var shortcut = new ZeroPadShortcut(2, 16);
        var y = shortcut.call(fast);

        // Then the values match the plain layout and channels stay innermost (stride 1)
        Assert.Equal(1, y.stride(1));
        Assert.True(y.allclose(shortcut.call(x)));
    }

    [Fact]
    public void Should_Leave_Bottleneck_Networks_In_The_Plain_Layout()
    {
        // Given a bottleneck network (oneDNN's channels-last 1x1 kernels were wrong or crashed for ResNet-50)
        using var model = new ResNet(ModelZoo.Cifar(1, BlockKind.Bottleneck));

        // When channels-last is tried
        var (switched, error) = ChannelsLast.TryApply(model, 32, CPU);

        // Then it is not even run, and every weight keeps its plain layout
        Assert.False(switched);
        Assert.True(double.IsNaN(error));
        Assert.All(model.parameters(), p => Assert.True(p.is_contiguous()));
    }
}
