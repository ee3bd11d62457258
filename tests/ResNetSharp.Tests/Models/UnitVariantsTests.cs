using System.Text.Json;
using ResNetSharp.Interop;
using ResNetSharp.Models;
using ResNetSharp.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace ResNetSharp.Tests.Models;

public sealed class UnitVariantsTests
{
    // the ResNet-8 units: layer1.0 keeps 16 channels (identity shortcut), layer2.0 goes 16 -> 32 with stride 2 (option A)
    [Theory]
    [InlineData("resnet8", "layer1.0")]
    [InlineData("resnet8", "layer2.0")]
    [InlineData("resnet8-bn-after-add", "layer1.0")]
    [InlineData("resnet8-bn-after-add", "layer2.0")]
    [InlineData("resnet8-relu-before-add", "layer1.0")]
    [InlineData("resnet8-relu-before-add", "layer2.0")]
    [InlineData("resnet8-relu-preact", "layer1.0")]
    [InlineData("resnet8-relu-preact", "layer2.0")]
    [InlineData("preact-resnet8-basic-a", "layer1.0")]
    [InlineData("preact-resnet8-basic-a", "layer2.0")]
    [InlineData("resnet8-scale0.5", "layer2.0")]
    [InlineData("resnet8-shortcut-scale0.5", "layer1.0")]
    [InlineData("resnet8-gate", "layer1.0")]
    [InlineData("resnet8-gate", "layer2.0")]
    [InlineData("resnet8-shortcut-gate0", "layer2.0")]
    [InlineData("resnet8-conv-shortcut", "layer1.0")]
    [InlineData("resnet8-conv-shortcut", "layer2.0")]
    [InlineData("resnet8-dropout-shortcut", "layer1.0")]
    public void Should_Compute_Each_Unit_Variant_As_Its_Figure_Draws_It(string name, string path)
    {
        // Given a unit of the named network with every weight, BN statistic and gate bias random (so no term can hide)
        using var net = ModelZoo.Create(name);
        using var scope = NewDisposeScope();
        manual_seed(7);
        using (no_grad())
        {
            foreach (var (_, p) in net.named_parameters()) p.copy_(randn(p.shape).mul_(0.5));
            foreach (var (key, b) in net.named_buffers())
            {
                if (key.EndsWith("running_mean", StringComparison.Ordinal)) b.copy_(randn(b.shape).mul_(0.3));
                if (key.EndsWith("running_var", StringComparison.Ordinal)) b.copy_(rand(b.shape).add_(0.5));
            }
        }
        net.eval();
        var unit = (nn.Module<Tensor, Tensor>)net.named_modules().Single(m => m.name == path).module;
        var layout = net.Spec.Units().Single(u => u.Path == path);
        var x = randn(2, layout.InChannels, 8, 8);

        // When the module runs, and the hand-written reference of Identity Mappings Fig. 2 / Fig. 4 runs on its weights
        using var noGrad = no_grad();
        var actual = unit.call(x);
        var expected = Reference(name, net.state_dict(), path, x, layout.Stride, layout.OutChannels - layout.InChannels);

        // Then they agree
        Assert.Equal(expected.shape, actual.shape);
        Assert.True(allclose(actual, expected, rtol: 1e-4, atol: 1e-5), $"{name} {path}: largest difference {(actual - expected).abs().max().item<float>()}");
    }

    // Plain tensor operations only: convolutions, BN as its formula, ReLU as clamp, the sigmoid as 1/(1+e^-z).
    static Tensor Reference(string name, Dictionary<string, Tensor> w, string path, Tensor x, int stride, int extra)
    {
        Tensor Conv(string layer, Tensor t, int s, int pad) =>
            nn.functional.conv2d(t, w[$"{path}.{layer}.weight"], w.GetValueOrDefault($"{path}.{layer}.bias"), strides: [s, s], padding: [pad, pad]);
        Tensor Bn(string layer, Tensor t)
        {
            Tensor V(string key) => w[$"{path}.{layer}.{key}"].view(1, -1, 1, 1);
            return (t - V("running_mean")) / (V("running_var") + 1e-5).sqrt() * V("weight") + V("bias");
        }
        static Tensor Relu(Tensor t) => t.clamp_min(0);
        // option A: every other pixel, then zero channels
        var h = stride == 1 && extra == 0 ? x
            : cat([x[TensorIndex.Colon, TensorIndex.Colon, TensorIndex.Slice(null, null, 2), TensorIndex.Slice(null, null, 2)],
                   zeros(x.shape[0], extra, x.shape[2] / 2, x.shape[3] / 2)], 1);
        Tensor Residual(Tensor input) => Conv("conv2", Relu(Bn("bn1", Conv("conv1", input, stride, 1))), 1, 1);
        Tensor Gate() => 1 / (1 + (-Conv("gate", x, stride, 0)).exp());
        var suffix = name["resnet8".Length..];
        return name.StartsWith("preact", StringComparison.Ordinal)
            ? Conv("conv2", Relu(Bn("bn2", Conv("conv1", Relu(Bn("bn1", x)), stride, 1))), 1, 1) + h
            : suffix switch
            {
                "" => Relu(Bn("bn2", Residual(x)) + h),
                "-bn-after-add" => Relu(Bn("bn2", Residual(x) + h)),
                "-relu-before-add" => Relu(Bn("bn2", Residual(x))) + h,
                "-relu-preact" => Bn("bn2", Residual(Relu(x))) + h,
                "-scale0.5" => Relu(0.5 * Bn("bn2", Residual(x)) + 0.5 * h),
                "-shortcut-scale0.5" => Relu(Bn("bn2", Residual(x)) + 0.5 * h),
                "-gate" => Relu(Gate() * Bn("bn2", Residual(x)) + (1 - Gate()) * h),
                "-shortcut-gate0" => Relu(Bn("bn2", Residual(x)) + (1 - Gate()) * h),
                "-conv-shortcut" => Relu(Bn("bn2", Residual(x)) + Bn("downsample.1", Conv("downsample.0", x, stride, 0))),
                // evaluation: the shortcut's expected scale, 1 - p
                "-dropout-shortcut" => Relu(Bn("bn2", Residual(x)) + 0.5 * h),
                _ => throw new ArgumentException(name),
            };
    }

    [Fact]
    public void Should_Drop_Shortcut_Elements_Without_Rescaling_The_Kept_Ones_In_Training()
    {
        // Given a dropout-shortcut unit in training mode whose residual branch is zero (last BN scale and shift 0)
        using var net = ModelZoo.Create("resnet8-dropout-shortcut");
        using var scope = NewDisposeScope();
        var unit = (nn.Module<Tensor, Tensor>)net.named_modules().Single(m => m.name == "layer1.0").module;
        using (no_grad())
        {
            ((TorchSharp.Modules.BatchNorm2d)net.named_modules().Single(m => m.name == "layer1.0.bn2").module).weight!.zero_();
        }
        unit.train();
        var x = rand(4, 16, 8, 8).add_(0.1);

        // When it runs
        using var noGrad = no_grad();
        var y = unit.call(x);

        // Then every output is the input or zero (kept as is, not × 2), about half of them each
        var kept = y.eq(x);
        var dropped = y.eq(0);
        Assert.True(kept.logical_or(dropped).all().item<bool>());
        var share = kept.to_type(ScalarType.Float32).mean().item<float>();
        Assert.InRange(share, 0.4, 0.6);
    }

    [Fact]
    public void Should_Give_The_Five_Units_Of_Fig4_Equal_Parameter_Counts()
    {
        // Given the five units of Fig. 4 at depth 20 (built) and 110 (counted from the description)
        string[] units = ["resnet{0}", "resnet{0}-bn-after-add", "resnet{0}-relu-before-add", "resnet{0}-relu-preact", "preact-resnet{0}-basic-a"];

        // When their parameters are counted
        var built = units.Select(u =>
        {
            using var net = ModelZoo.Create(string.Format(System.Globalization.CultureInfo.InvariantCulture, u, 20));
            return net.ParameterCount;
        }).ToArray();
        var counted = units.Select(u => NetworkCost.Of(ModelZoo.Get(string.Format(System.Globalization.CultureInfo.InvariantCulture, u, 110))).Parameters).ToArray();

        // Then they are all equal, and equal to the paper's ResNet-20 (0.27M)
        Assert.All(built, b => Assert.Equal(built[0], b));
        Assert.All(counted, c => Assert.Equal(counted[0], c));
        Assert.InRange(built[0], 265_000, 275_000);
    }

    [Theory]
    [InlineData("resnet20-gate")]
    [InlineData("resnet20-shortcut-gate")]
    [InlineData("resnet20-conv-shortcut")]
    [InlineData("resnet20-scale0.5")]
    [InlineData("resnet20-dropout-shortcut")]
    public void Should_Add_Exactly_The_Gate_Or_Projection_Parameters(string name)
    {
        // Given a shortcut variant and the identity ResNet-20
        using var variant = ModelZoo.Create(name);
        using var identity = ModelZoo.Create("resnet20");
        var units = variant.Spec.Units();

        // When their parameters are counted
        var added = variant.ParameterCount - identity.ParameterCount;

        // Then a gate adds a 1x1 convolution with bias per unit, option C a 1x1 convolution with BN per unit, the others nothing;
        // and the description's count (listings) equals the built network's
        var expected = variant.Spec.ShortcutVariant is { Gated: true } ? units.Sum(u => (long)u.InChannels * u.OutChannels + u.OutChannels)
            : variant.Spec.Shortcut == ShortcutOption.C ? units.Sum(u => (long)u.InChannels * u.OutChannels + 2 * u.OutChannels)
            : 0;
        Assert.Equal(expected, added);
        Assert.Equal(variant.ParameterCount, NetworkCost.Of(variant.Spec).Parameters);
        Assert.Equal(NetworkCost.Of(variant.Spec).MultiplyAdds, ModelSummary.Of(variant).MultiplyAdds);
    }

    [Fact]
    public void Should_Initialise_The_Gate_Bias_As_The_Name_Says()
    {
        // Given gated nets with the paper's bias (−6), and with 0 and −7 given in the name
        using var paper = ModelZoo.Create("resnet8-gate");
        using var zero = ModelZoo.Create("resnet8-shortcut-gate0");
        using var seven = ModelZoo.Create("resnet8-gate-7");

        // Then every gate's bias starts at that value
        static float[] Biases(ResNet net) => [.. net.named_parameters().Where(p => p.name.EndsWith(".gate.bias", StringComparison.Ordinal)).SelectMany(p => p.parameter.data<float>().ToArray())];
        Assert.All(Biases(paper), b => Assert.Equal(-6f, b));
        Assert.All(Biases(zero), b => Assert.Equal(0f, b));
        Assert.All(Biases(seven), b => Assert.Equal(-7f, b));
        Assert.Equal(16 + 32 + 64, Biases(paper).Length);
    }

    [Fact]
    public void Should_Read_Every_Listed_Variant_Name_Back_To_Itself()
    {
        // Given the variant names the listing shows
        var variants = ModelZoo.Names.Where(n => n.StartsWith("resnet110-", StringComparison.Ordinal)).ToArray();

        // Then each reads to a description of that name, with the variant its suffix says
        Assert.Equal(10, variants.Length);
        Assert.All(variants, n => Assert.Equal(n, ModelZoo.Get(n).Name));
        Assert.Equal(ActivationPlacement.BnAfterAddition, ModelZoo.Get("resnet110-bn-after-add").Activation);
        Assert.Equal(ActivationPlacement.ReluBeforeAddition, ModelZoo.Get("resnet32-relu-before-add").Activation);
        Assert.Equal(ActivationPlacement.ReluOnlyPreActivation, ModelZoo.Get("resnet56-relu-preact").Placement);
        Assert.Equal(ActivationPlacement.FullPreActivation, ModelZoo.Get("preact-resnet56-basic").Placement);
        Assert.Equal(ShortcutVariant.Scaled(0.5, residualToo: true), ModelZoo.Get("resnet110-scale0.5").ShortcutVariant);
        Assert.Equal(ShortcutVariant.Scaled(1.5, residualToo: false), ModelZoo.Get("resnet44-shortcut-scale1.5").ShortcutVariant);
        Assert.Equal(ShortcutVariant.ExclusiveGate(-6), ModelZoo.Get("resnet110-gate").ShortcutVariant);
        Assert.Equal(ShortcutVariant.ShortcutOnlyGate(0), ModelZoo.Get("resnet110-shortcut-gate0").ShortcutVariant);
        Assert.Equal(ShortcutVariant.DropoutOf(0.3), ModelZoo.Get("resnet20-dropout-shortcut0.3").ShortcutVariant);
        Assert.Equal(ShortcutOption.C, ModelZoo.Get("resnet110-conv-shortcut").Shortcut);
        Assert.Null(ModelZoo.Get("resnet110").ShortcutVariant);
        Assert.Equal(ActivationPlacement.Original, ModelZoo.Get("resnet110").Activation);
    }

    [Theory]
    [InlineData("plain-20-gate", "plain net")]
    [InlineData("preact-resnet20-basic-relu-preact", "original units")]
    [InlineData("resnet20-gate-scale0.5", "at most one")]
    [InlineData("resnet20-bn-after-add-relu-preact", "at most one")]
    [InlineData("resnet20-dropout-shortcut1.5", "dropout ratio")]
    public void Should_Refuse_Variants_That_Do_Not_Apply(string name, string reason)
    {
        var error = Assert.Throws<ArgumentException>(() => ModelZoo.Get(name));
        Assert.Contains(reason, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Should_Write_The_Paper_Units_As_Before_And_Read_Variants_Back()
    {
        // Given the original net and two variants, written as checkpoints and exported files write them
        var original = JsonSerializer.Serialize(ModelZoo.Get("resnet20"), ArtefactJson.Options);
        var preact = JsonSerializer.Serialize(ModelZoo.Get("preact-resnet164"), ArtefactJson.Options);
        var gated = ModelZoo.Get("resnet20-shortcut-gate0");
        var placed = ModelZoo.Get("resnet20-relu-before-add");

        // When the variants are read back
        var gatedBack = JsonSerializer.Deserialize<NetworkSpec>(JsonSerializer.Serialize(gated, ArtefactJson.Options), ArtefactJson.Options)!;
        var placedBack = JsonSerializer.Deserialize<NetworkSpec>(JsonSerializer.Serialize(placed, ArtefactJson.Options), ArtefactJson.Options)!;

        // Then the paper's units write no new field (older files and exports stay byte-identical), and the variants survive
        foreach (var json in new[] { original, preact })
        {
            Assert.DoesNotContain("\"activation\"", json, StringComparison.Ordinal);
            Assert.DoesNotContain("shortcutVariant", json, StringComparison.Ordinal);
            Assert.DoesNotContain("placement", json, StringComparison.Ordinal);
        }
        Assert.Contains("\"activation\":\"ReluBeforeAddition\"", JsonSerializer.Serialize(placed, ArtefactJson.Options), StringComparison.Ordinal);
        Assert.Equal(gated.ShortcutVariant, gatedBack.ShortcutVariant);
        Assert.Equal(placed.Activation, placedBack.Activation);
        Assert.Equal(gated.ToString(), gatedBack.ToString());
    }

    [Theory]
    [InlineData("resnet8-gate")]
    [InlineData("resnet8-relu-preact")]
    public void Should_Refuse_To_Export_A_Variant_The_Inference_Graph_Does_Not_Build(string name)
    {
        // Given a unit variant
        using var net = ModelZoo.Create(name);

        // When it is exported to ONNX
        var error = Assert.Throws<ArgumentException>(() => OnnxExport.ToBytes(net));

        // Then the one-line message names the network and what to do instead
        Assert.Contains(name, error.Message, StringComparison.Ordinal);
        Assert.Contains("TorchSharp module", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', error.Message);
    }

    [Fact]
    public void Should_Keep_Torchvision_Names_For_The_Original_Units_And_Add_Only_The_Gate()
    {
        // Given the original ResNet-8 and its gated variant
        using var original = ModelZoo.Create("resnet8");
        using var gated = ModelZoo.Create("resnet8-gate");

        // Then the gated net's keys are the original's plus layerX.Y.gate.weight/bias
        var keys = original.state_dict().Keys.ToHashSet();
        var extra = gated.state_dict().Keys.Where(k => !keys.Contains(k)).ToArray();
        using var projected = ModelZoo.Create("resnet8-conv-shortcut");
        Assert.Contains("layer1.0.downsample.0.weight", projected.state_dict().Keys);
        Assert.True(keys.IsSubsetOf(gated.state_dict().Keys));
        Assert.All(extra, k => Assert.Matches(@"^layer\d\.\d\.gate\.(weight|bias)$", k));
        Assert.Equal(6, extra.Length);
    }
}
