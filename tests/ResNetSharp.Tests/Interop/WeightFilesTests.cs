using System.IO.Compression;
using System.Text;
using ResNetSharp.Interop;
using ResNetSharp.Models;
using TorchSharp.PyBridge;
using static TorchSharp.torch;

namespace ResNetSharp.Tests.Interop;

public sealed class WeightFilesTests : IDisposable
{
    readonly string folder = Directory.CreateTempSubdirectory("resnetsharp-weights-").FullName;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    [Theory]
    [InlineData("safetensors")]
    [InlineData("pth")]
    public void Should_Load_Saved_Weights_Into_A_Fresh_Network_With_Identical_Outputs(string format)
    {
        // Given a network with non-trivial weights saved as safetensors or as a PyTorch zip (torch.save format)
        using var original = OnnxRunner.Randomised(ModelZoo.Create("resnet20"));
        var path = Path.Combine(folder, "weights." + format);
        if (format == "pth") original.save_py(path);
        else WeightFiles.SaveSafetensors(original, path);

        // When a fresh network loads them strictly
        using var fresh = ModelZoo.Create("resnet20");
        var report = WeightFiles.Load(fresh, path, strict: true);
        fresh.eval();

        // Then every key matched and the outputs are identical
        Assert.Empty(report.Unexpected);
        Assert.All(report.Missing, k => Assert.EndsWith("num_batches_tracked", k));
        using var noGrad = no_grad();
        using var x = randn(2, 3, 32, 32);
        Assert.Equal(0f, OnnxRunner.MaxAbsDifference(original.call(x), fresh.call(x)));
    }

    [Fact]
    public void Should_Report_Missing_Keys_And_Name_A_Shape_Mismatch()
    {
        // Given resnet20 weights
        using var small = ModelZoo.Create("resnet20");
        var path = Path.Combine(folder, "resnet20.safetensors");
        WeightFiles.SaveSafetensors(small, path);

        // When they go into a deeper net, and into one with another class count
        using var deeper = ModelZoo.Create("resnet32");
        var report = WeightFiles.Load(deeper, path);
        using var other = ModelZoo.Create("resnet20", classes: 100);
        var error = Assert.Throws<InvalidDataException>(() => WeightFiles.Load(other, path));

        // Then the deeper net's extra units are reported missing, and the mismatch names the key and both shapes
        Assert.Contains("layer1.4.conv1.weight", report.Missing);
        Assert.Empty(report.Unexpected);
        Assert.Contains("'fc.weight' has shape [10,64] but resnet20 needs [100,64]", error.Message);
        Assert.Throws<InvalidDataException>(() => WeightFiles.Load(deeper, path, strict: true));
    }

    [Fact]
    public void Should_Reject_Corrupt_Safetensors_Before_Parsing()
    {
        // Given a valid file and three corruptions of it
        using var net = ModelZoo.Create("resnet20");
        var path = Path.Combine(folder, "good.safetensors");
        WeightFiles.SaveSafetensors(net, path);
        var bytes = File.ReadAllBytes(path);
        var headerLength = (int)BitConverter.ToUInt64(bytes, 0);
        var header = Encoding.UTF8.GetString(bytes, 8, headerLength);

        var truncated = Write("truncated.safetensors", bytes[..(bytes.Length / 2)]);
        var hugeHeader = Write("huge.safetensors", [.. BitConverter.GetBytes(1UL << 40), .. bytes[8..]]);
        // Push one tensor's end offset past the data region, keeping the header's length.
        var shifted = System.Text.RegularExpressions.Regex.Replace(header, @"""data_offsets"":\[(\d+),(\d+)\]",
            m => $"\"data_offsets\":[{m.Groups[1].Value},{long.Parse(m.Groups[2].Value) + 9_000_000_000L}]", System.Text.RegularExpressions.RegexOptions.None, TimeSpan.FromSeconds(1));
        var padded = Encoding.UTF8.GetBytes(shifted.Length <= headerLength ? shifted.PadRight(headerLength) : shifted);
        var outOfRange = Write("offsets.safetensors", [.. BitConverter.GetBytes((ulong)padded.Length), .. padded, .. bytes[(8 + headerLength)..]]);

        // When they are loaded, then each is rejected with what is wrong
        Assert.Contains("truncated", Assert.Throws<InvalidDataException>(() => WeightFiles.Read(truncated)).Message);
        Assert.Contains("header length", Assert.Throws<InvalidDataException>(() => WeightFiles.Read(hugeHeader)).Message);
        Assert.Contains("outside the", Assert.Throws<InvalidDataException>(() => WeightFiles.Read(outOfRange)).Message);
    }

    [Fact]
    public void Should_Reject_A_Pickle_That_Would_Run_Code_Without_Running_It()
    {
        // Given a torch.save-style zip whose pickle calls os.system("touch <marker>")
        var marker = Path.Combine(folder, "pwned");
        var command = Encoding.UTF8.GetBytes($"touch {marker}");
        byte[] pickle = [0x80, 0x02, .. "cos\nsystem\n"u8, (byte)'X', .. BitConverter.GetBytes(command.Length), .. command, 0x85, (byte)'R', (byte)'.'];
        var path = Path.Combine(folder, "evil.pth");
        using (var zip = ZipFile.Open(path, ZipArchiveMode.Create))
        {
            using var entry = zip.CreateEntry("archive/data.pkl").Open();
            entry.Write(pickle);
        }

        // When it is loaded
        var error = Assert.Throws<InvalidDataException>(() => WeightFiles.Read(path));

        // Then it is rejected naming the import, and nothing ran
        Assert.Contains("os.system", error.Message);
        Assert.False(File.Exists(marker));
    }

    string Write(string name, byte[] bytes)
    {
        var path = Path.Combine(folder, name);
        File.WriteAllBytes(path, bytes);
        return path;
    }
}
