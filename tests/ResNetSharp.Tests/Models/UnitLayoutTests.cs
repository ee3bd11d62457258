using ResNetSharp.Models;

namespace ResNetSharp.Tests.Models;

public sealed class UnitLayoutTests
{
    [Theory]
    [InlineData("resnet34", "layer2.0 layer3.0 layer4.0")]
    [InlineData("resnet50", "layer1.0 layer2.0 layer3.0 layer4.0")]
    [InlineData("resnet56", "layer2.0 layer3.0")]
    [InlineData("resnet34-c", "all")]
    [InlineData("plain-34", "layer2.0 layer3.0 layer4.0")]
    public void Should_Give_A_Shortcut_Module_Exactly_Where_The_Layout_Says_The_Shape_Changes(string name, string changing)
    {
        // Given a network and its units
        using var net = ModelZoo.Create(name);
        var units = net.Spec.Units();

        // When the units whose shape changes, and the units whose module has a downsample, are listed
        var changes = units.Where(u => u.ChangesShape).Select(u => u.Path).ToArray();
        var withModule = net.named_modules().Select(m => m.name).Where(n => n.EndsWith(".downsample", StringComparison.Ordinal))
            .Select(n => n[..^".downsample".Length]).ToArray();

        // Then the layout's shape changes are the paper's (stride 2 at conv3_1, conv4_1, ...; a bottleneck's first unit widens),
        // and the built network has a shortcut module at exactly the units the layout gives a zero-pad or projection
        if (changing != "all") Assert.Equal(changing.Split(' ', StringSplitOptions.RemoveEmptyEntries), changes);
        Assert.Equal(units.Where(u => u.Shortcut is ShortcutKind.ZeroPad or ShortcutKind.Projection).Select(u => u.Path), withModule);
        Assert.Equal(net.Spec.BlocksPerStage.Sum(), units.Count);
        Assert.All(units, u => Assert.Equal(u.Stage > 0 && u.Index == 0 ? 2 : 1, u.Stride));
        Assert.All(units.Skip(1).Zip(units), p => Assert.Equal(p.Second.OutChannels, p.First.InChannels));
        Assert.Equal(net.Spec.FeatureSize, units[^1].OutChannels);
    }

    [Fact]
    public void Should_Put_A_Bottleneck_Stride_Where_The_Spec_Says()
    {
        // Given the paper's bottleneck (stride on the 1x1) and torchvision's (on the 3x3)
        var paper = ModelZoo.Get("resnet50").Units()[3];
        var torchvision = ModelZoo.Get("resnet50-v1.5").Units()[3];

        // Then both downsample once, on different convolutions
        Assert.Equal((2, 2, 1), (paper.Stride, paper.FirstConvStride, paper.SecondConvStride));
        Assert.Equal((2, 1, 2), (torchvision.Stride, torchvision.FirstConvStride, torchvision.SecondConvStride));
    }

    [Theory]
    [InlineData(ShortcutOption.A, ShortcutKind.ZeroPad, ShortcutKind.Identity)]
    [InlineData(ShortcutOption.B, ShortcutKind.Projection, ShortcutKind.Identity)]
    [InlineData(ShortcutOption.C, ShortcutKind.Projection, ShortcutKind.Projection)]
    public void Should_Give_Each_Option_Its_Shortcuts(ShortcutOption option, ShortcutKind whereShapeChanges, ShortcutKind elsewhere)
    {
        var units = (ModelZoo.Get("resnet20") with { Shortcut = option }).Units();

        Assert.All(units, u => Assert.Equal(u.ChangesShape ? whereShapeChanges : elsewhere, u.Shortcut));
        Assert.All((ModelZoo.Get("resnet20") with { Shortcut = option, Residual = false }).Units(), u => Assert.Equal(ShortcutKind.None, u.Shortcut));
    }
}
