using ResNetSharp.Models;
using static TorchSharp.torch;

namespace ResNetSharp.Tests.Models;

public sealed class ModelZooTests
{
    public static TheoryData<string> AllNames() => [.. ModelZoo.Names];

    [Theory]
    [MemberData(nameof(AllNames))]
    public void Should_Map_A_Tiny_Batch_To_One_Logit_Per_Class(string name)
    {
        // Given a named network at a small input, in training mode: with fresh running statistics an
        // eval-mode forward of a 1000-layer net overflows, as it would in any framework
        using var net = ModelZoo.Create(name);
        var size = net.Spec.Stem == StemKind.ImageNet ? 64 : 32;
        using var noGrad = no_grad();

        // When two images go through it
        using var logits = net.forward(randn(2, 3, size, size));
        using var features = net.ForwardFeatures(randn(2, 3, size, size));

        // Then there is a logit per class and a feature per final channel
        Assert.Equal([2L, net.Spec.Classes], logits.shape);
        Assert.Equal([2L, net.Spec.FeatureSize], features.shape);
        Assert.False(logits.isnan().any().item<bool>());
    }

    [Theory]
    [InlineData("resnet18", 11_689_512)]
    [InlineData("resnet34", 21_797_672)]
    [InlineData("resnet50", 25_557_032)]
    [InlineData("resnet101", 44_549_160)]
    [InlineData("resnet152", 60_192_808)]
    [InlineData("resnet50-v1.5", 25_557_032)]
    public void Should_Count_Exactly_The_Parameters_Of_Torchvision(string name, long expected)
    {
        using var net = ModelZoo.Create(name);

        Assert.Equal(expected, net.ParameterCount);
    }

    [Theory] // Table 6, to the paper's rounding
    [InlineData("resnet20", 0.27)]
    [InlineData("resnet32", 0.46)]
    [InlineData("resnet44", 0.66)]
    [InlineData("resnet56", 0.85)]
    [InlineData("resnet110", 1.7)]
    [InlineData("resnet1202", 19.4)]
    public void Should_Count_The_Parameters_Of_Table_6(string name, double millions)
    {
        using var net = ModelZoo.Create(name);

        var decimals = millions < 1 ? 2 : 1;
        Assert.Equal(millions, Math.Round(net.ParameterCount / 1e6, decimals));
    }

    [Theory]
    [InlineData("resnet34-a", "plain-34")]
    [InlineData("resnet56", "plain-56")]
    [InlineData("resnet20", "plain-20")]
    public void Should_Add_No_Parameters_With_Option_A(string residual, string plain)
    {
        using var a = ModelZoo.Create(residual);
        using var p = ModelZoo.Create(plain);

        Assert.Equal(ShortcutOption.A, a.Spec.Shortcut);
        Assert.Equal(p.ParameterCount, a.ParameterCount);
        Assert.Contains(a.modules(), m => m is ZeroPadShortcut);
    }

    [Theory]
    [InlineData("plain-20")]
    [InlineData("plain-34")]
    [InlineData("plain-110")]
    public void Should_Build_Plain_Nets_Without_Any_Shortcut(string name)
    {
        using var net = ModelZoo.Create(name);

        Assert.False(net.Spec.Residual);
        Assert.DoesNotContain(net.named_modules(), m => m.name.Contains("downsample") || m.module is ZeroPadShortcut);
    }

    [Fact]
    public void Should_Give_Plain_And_Residual_Units_Different_Functions()
    {
        // Given a residual and a plain net with the same weights
        using var residual = ModelZoo.Create("resnet8");
        using var plain = new ResNet(residual.Spec with { Residual = false });
        plain.load_state_dict(residual.state_dict());
        residual.eval();
        plain.eval();
        using var x = randn(1, 3, 32, 32);

        // Then the shortcut changes the output
        Assert.False(residual.forward(x).allclose(plain.forward(x)));
    }

    [Theory]
    [InlineData("resnet34", ShortcutOption.B, 3)]
    [InlineData("resnet34-c", ShortcutOption.C, 16)]
    [InlineData("resnet50", ShortcutOption.B, 4)]
    public void Should_Project_Only_Where_The_Option_Says(string name, ShortcutOption option, int projections)
    {
        using var net = ModelZoo.Create(name);

        Assert.Equal(option, net.Spec.Shortcut);
        Assert.Equal(projections, net.named_modules().Count(m => m.name.EndsWith("downsample", StringComparison.Ordinal)));
    }

    [Theory]
    [InlineData("resnet20", "layer1.0", 16, 32)] // basic unit, first stage
    [InlineData("resnet20", "layer3.2", 64, 8)] // basic unit, after a stride-2 stage
    [InlineData("resnet50", "layer2.1", 512, 7)] // bottleneck unit
    public void Should_Carry_The_Input_Over_The_Identity_Shortcut_When_The_Residual_Branch_Is_Emptied(string name, string unit, int channels, int size)
    {
        // Given a residual net and its plain twin whose residual branches end in a zeroed BN scale (F(x) = 0)
        using var residual = new ResNet(ModelZoo.Get(name) with { ZeroInitLast = true });
        using var plain = new ResNet(ModelZoo.Get(name) with { ZeroInitLast = true, Residual = false });
        residual.eval();
        plain.eval();
        using var x = randn(2, channels, size, size);

        // When one unit with an identity shortcut runs on its own
        using var y = Unit(residual, unit).call(x);
        using var plainY = Unit(plain, unit).call(x);

        // Then eq. 1 gives relu(F(x) + x) = relu(x), while the plain unit, with no shortcut, gives relu(0) = 0
        using var expected = x.relu();
        Assert.True(y.allclose(expected), $"{name} {unit}: the residual unit is not relu(x) when F(x) = 0");
        Assert.True(expected.abs().sum().item<float>() > 0);
        Assert.Equal(0f, plainY.abs().max().item<float>());
    }

    static nn.Module<Tensor, Tensor> Unit(ResNet net, string path) =>
        (nn.Module<Tensor, Tensor>)net.named_modules().Single(m => m.name == path).module;

    [Fact]
    public void Should_Fail_With_The_Known_Names_And_The_Closest_One()
    {
        var e = Assert.Throws<ArgumentException>(() => ModelZoo.Get("resnet5O"));

        Assert.Contains("Did you mean 'resnet50'", e.Message);
        Assert.Contains("resnet1202", e.Message);
    }

    [Theory]
    [InlineData("resnet32-bottleneck", "9n+2")]
    [InlineData("resnet21", "6n+2")]
    [InlineData("resnet18-v1.5", "basic units")]
    [InlineData("preact-resnet32", "Use '-basic'")]
    public void Should_Say_Why_A_Combination_Is_Impossible(string name, string reason)
    {
        var e = Assert.Throws<ArgumentException>(() => ModelZoo.Get(name));

        Assert.Contains(reason, e.Message);
    }

    [Theory]
    [InlineData("preact-resnet164", BlockKind.Bottleneck, 18)]
    [InlineData("preact-resnet1001", BlockKind.Bottleneck, 111)]
    [InlineData("preact-resnet110-basic", BlockKind.Basic, 18)]
    [InlineData("resnet1202", BlockKind.Basic, 200)]
    public void Should_Read_Cifar_Depths_Into_Units_Per_Stage(string name, BlockKind kind, int n)
    {
        var spec = ModelZoo.Get(name);

        Assert.Equal(kind, spec.Block);
        Assert.Equal([n, n, n], spec.BlocksPerStage);
        Assert.Equal(StemKind.Cifar, spec.Stem);
    }

    [Fact]
    public void Should_Start_Units_As_Identities_With_Zero_Init()
    {
        using var net = new ResNet(ModelZoo.Get("resnet20") with { ZeroInitLast = true });

        Assert.Equal(0, net.get_parameter("layer1.0.bn2.weight")!.abs().sum().item<float>());
        Assert.Equal(16, net.get_parameter("layer1.0.bn1.weight")!.sum().item<float>());
    }
}
