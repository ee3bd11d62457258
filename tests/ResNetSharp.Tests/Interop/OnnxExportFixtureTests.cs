using ResNetSharp.Interop;
using ResNetSharp.Models;
using static TorchSharp.torch;

namespace ResNetSharp.Tests.Interop;

/// <summary>
/// ONNX exports are byte-for-byte those written by the code before the architecture rule moved into one enumeration
/// of units (issue 16): the SHA-256 of each export is the one that code gave. Tiny nets of every family, with weights
/// set by a formula (no random generator), so the bytes depend only on the graph the code writes. After an intended
/// change of the format, run this class with RESNETSHARP_PRINT_EXPORT_HASHES set to print the new hashes.
/// </summary>
public sealed class OnnxExportFixtureTests
{
    // SHA-256 of each export (variant, "-folded" with BN folded) as the code before issue 16 wrote it
    static readonly Dictionary<string, string> Expected = new()
    {
        ["cifar-a-folded"] = "fe371bc4fb5c7d5ee8d68c0770b65beb284cf475d360db7539908a9ee3942e39",
        ["cifar-a"] = "9856bec53b9a8d91a4e6523ad8a63dc08c3d7647e3c040fc21991d27f8ce2183",
        ["cifar-b-folded"] = "1a8e99abfd6283eb9ce04d3c879fd878e407731c2cd06cd5a7803f1876d04c80",
        ["cifar-b"] = "c5eab13397913a4ae878cd033ed5b9ad390dd29019cb96e317ff3e0d323bdab9",
        ["cifar-c-folded"] = "407499dfa7e126f2a49310a7bf3a55dc80572a3eab9bf697818f114427cb8ae0",
        ["cifar-c"] = "43200576e5a4bd00cc43041c429b4217061859f7a61470870439377ce17e6bea",
        ["cifar-plain-folded"] = "64ad078da1373d3fa785363fcb30617b767194756ad292f4dd605f9e1740eaab",
        ["cifar-plain"] = "0edb8163a31171780a7e8a857240b59e8f72ec25250960188f8dfe5eb51b3ad7",
        ["cifar-preact-a-folded"] = "9c3db4db5863fec7c3cea35c1d95d74b103678243d5394dae2a07a8c65f847c3",
        ["cifar-preact-a"] = "038655257a32bfedb5bc7246148240334ed7c0120ea6c14b75e03290b37ea8a9",
        ["cifar-preact-bottleneck-b-folded"] = "aa640b6f5458a3a56ac97e9393be17045b3276bb8ac57b2f3baeb72d288216b0",
        ["cifar-preact-bottleneck-b"] = "0f282e9eaccf02bc20a70f7b29bb0be89153f21ed3f455dcd9fbae6ad8096439",
        ["imagenet-basic-a-folded"] = "ab3969f0bee58ee7e3996586b03315287ee087531e49cc64870ebb63602fd4df",
        ["imagenet-basic-a"] = "81030c3c09c01e4c6737d240c9d67945fe2db6848b9945177a548e1707230105",
        ["imagenet-bottleneck-b-folded"] = "4985b48b3a2f739d421929de22e82324c0f0869594ea1521252699e5edb8934e",
        ["imagenet-bottleneck-b"] = "bc42327faa8dd24667d9e3ef380191ae3c059a71911e91f0e12ff03d5b40568b",
        ["imagenet-bottleneck-spatial-c-folded"] = "cd173776683dbd48a534628bd9e7f80529327ba3f7869f731ac1c793ed6f4327",
        ["imagenet-bottleneck-spatial-c"] = "c8925b153b8885ee8074f2fd34b490eaa9bd902191342702421cdf6ef235858e",
        ["imagenet-preact-basic-b-folded"] = "5b79b67178cf844443b1b0c5265e1bbe922bae32f52ad924616210ad5c177e81",
        ["imagenet-preact-basic-b"] = "9499ba24fce6d847458874573420d3e2c053d5ac2ea77e5c0a9c55386a7337c1",
        ["imagenet-preact-bottleneck-c-folded"] = "2340ecd64bf8f40f6fa5b289cc110445469607284690cb4ab26636c3edb95bd2",
        ["imagenet-preact-bottleneck-c"] = "c74e01cda99ea2cb57271ef3d78d12d6edb6091a1809d80003be7b3ae5979467",
    };

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

            // Then the file is the one the old code wrote, byte for byte (same SHA-256)
            var name = $"{variant}{(fold ? "-folded" : "")}";
            var hash = Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(bytes)).ToLowerInvariant();
            if (Environment.GetEnvironmentVariable("RESNETSHARP_PRINT_EXPORT_HASHES") is { Length: > 0 })
                Console.WriteLine($"[\"{name}\"] = \"{hash}\",");
            Assert.Equal(Expected[name], hash);
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
