using ResNetSharp.Interop;
using ResNetSharp.Models;
using static TorchSharp.torch;

namespace ResNetSharp.Tests.Interop;

/// <summary>
/// ONNX exports are byte-for-byte those of the fixtures in ExportFixtures/, written by the code before the
/// architecture rule moved into one enumeration of units (issue 16). Tiny nets of every family, with weights set by a
/// formula (no random generator), so the bytes depend only on the graph the code writes. To write the fixtures
/// again after an intended change of the format, run this class with RESNETSHARP_WRITE_EXPORT_FIXTURES set to
/// tests/ResNetSharp.Tests/Interop/ExportFixtures.
/// </summary>
public sealed class OnnxExportFixtureTests
{
    static readonly NetworkSpec Cifar = new()
    {
        Name = "tiny-cifar",
        Stem = StemKind.Cifar,
        Block = BlockKind.Basic,
        BlocksPerStage = [1, 2, 1],
        Widths = [2, 4, 8],
        StemWidth = 2,
        Shortcut = ShortcutOption.A,
        Classes = 3,
        InputSize = 32,
    };

    static readonly NetworkSpec ImageNet = Cifar with
    {
        Name = "tiny-imagenet",
        Stem = StemKind.ImageNet,
        Block = BlockKind.Bottleneck,
        BlocksPerStage = [2, 1],
        Widths = [2, 4],
        StemWidth = 4,
        Shortcut = ShortcutOption.B,
        InputSize = 64,
    };

    public static TheoryData<string> Variants => [.. Specs.Keys];

    static readonly Dictionary<string, NetworkSpec> Specs = new()
    {
        ["cifar-a"] = Cifar,
        ["cifar-b"] = Cifar with { Shortcut = ShortcutOption.B },
        ["cifar-c"] = Cifar with { Shortcut = ShortcutOption.C },
        ["cifar-plain"] = Cifar with { Residual = false },
        ["cifar-preact-a"] = Cifar with { PreActivation = true },
        ["cifar-preact-bottleneck-b"] = Cifar with { PreActivation = true, Block = BlockKind.Bottleneck, Shortcut = ShortcutOption.B },
        ["imagenet-bottleneck-b"] = ImageNet,
        ["imagenet-bottleneck-spatial-c"] = ImageNet with { Stride = BottleneckStride.OnSpatial, Shortcut = ShortcutOption.C },
        ["imagenet-basic-a"] = ImageNet with { Block = BlockKind.Basic, Shortcut = ShortcutOption.A, StemWidth = 2 },
        ["imagenet-preact-basic-b"] = ImageNet with { Block = BlockKind.Basic, PreActivation = true },
        ["imagenet-preact-bottleneck-c"] = ImageNet with { PreActivation = true, Shortcut = ShortcutOption.C },
    };

    [Theory]
    [MemberData(nameof(Variants))]
    public void Should_Write_The_Bytes_The_Fixture_Holds(string variant)
    {
        foreach (var fold in new[] { false, true })
        {
            // Given a tiny network of one family with weights set by a formula
            using var net = WithFormulaWeights(new ResNet(Specs[variant]));

            // When it is exported (plain, and with BN folded)
            var bytes = OnnxExport.ToBytes(net, new OnnxExportOptions { FoldBatchNorm = fold });

            // Then the file is the fixture, byte for byte
            var fixture = Path.Combine(AppContext.BaseDirectory, "ExportFixtures", $"{variant}{(fold ? "-folded" : "")}.onnx");
            if (Environment.GetEnvironmentVariable("RESNETSHARP_WRITE_EXPORT_FIXTURES") is { Length: > 0 } folder)
            {
                File.WriteAllBytes(Path.Combine(folder, Path.GetFileName(fixture)), bytes);
                continue;
            }
            Assert.True(File.Exists(fixture), $"missing fixture {fixture}");
            Assert.Equal(File.ReadAllBytes(fixture), bytes);
        }
    }

    // Every state tensor gets values from its name's position and the element's index; variances stay positive.
    static ResNet WithFormulaWeights(ResNet net)
    {
        using var noGrad = no_grad();
        var k = 0;
        foreach (var (key, t) in net.state_dict())
        {
            k++;
            if (t.dtype != ScalarType.Float32) continue;
            var n = (int)t.numel();
            var values = new float[n];
            for (var i = 0; i < n; i++)
            {
                var v = ((i * 37 + k * 101) % 97) / 97f - 0.5f;
                values[i] = key.EndsWith("running_var", StringComparison.Ordinal) ? 0.5f + Math.Abs(v) : v;
            }
            t.copy_(tensor(values).reshape(t.shape));
        }
        net.eval();
        return net;
    }
}
