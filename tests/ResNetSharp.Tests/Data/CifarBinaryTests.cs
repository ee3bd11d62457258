using System.Diagnostics;
using System.Formats.Tar;
using System.IO.Compression;
using System.Security.Cryptography;
using ResNetSharp.Data;

namespace ResNetSharp.Tests.Data;

public sealed class CifarBinaryTests
{
    /// <summary>Record i: label(s), then R plane = i, G plane = pixel index mod 256, B plane = 200.</summary>
    static byte[] Records(int count, params Func<int, byte>[] labels)
    {
        var record = labels.Length + 3072;
        var bytes = new byte[count * record];
        for (var i = 0; i < count; i++)
        {
            var r = bytes.AsSpan(i * record, record);
            for (var l = 0; l < labels.Length; l++) r[l] = labels[l](i);
            var px = r[labels.Length..];
            for (var p = 0; p < 1024; p++)
            {
                px[p] = (byte)i;
                px[1024 + p] = (byte)p;
                px[2048 + p] = 200;
            }
        }
        return bytes;
    }

    [Fact]
    public void Should_Read_Labels_And_Turn_Planes_Into_Rgb_Pixels()
    {
        // Given a CIFAR-10 style file of 3 records with labels 0, 3, 6
        using var dir = new TempFolder();
        var file = dir.File("test_batch.bin", Records(3, i => (byte)(3 * i)));

        // When it is read
        var data = CifarBinary.ReadCifar10(dir.Path, train: false);

        // Then labels and pixels come out in order, as HWC RGB
        Assert.Equal(3, data.Count);
        Assert.Equal([0, 3, 6], Enumerable.Range(0, 3).Select(data.Label));
        var image = data.Image(2);
        Assert.Equal((2, 37 % 256, 200), (image[5, 1, 0], image[5, 1, 1], image[5, 1, 2])); // pixel index 1·32 + 5
        Assert.Equal("cat", data.ClassNames[3]);
    }

    [Fact]
    public void Should_Name_A_Truncated_File_Its_Size_And_The_Record_Size()
    {
        // Given a batch file missing its last 100 bytes
        using var dir = new TempFolder();
        var bytes = Records(2, i => 1);
        var file = dir.File("test_batch.bin", bytes[..^100]);

        // When it is read
        var e = Assert.Throws<InvalidDataException>(() => CifarBinary.ReadCifar10(dir.Path, train: false));

        // Then the message names the file, its size and the record size
        Assert.Contains(file, e.Message);
        Assert.Contains("6,046", e.Message);
        Assert.Contains("3073", e.Message);
    }

    [Fact]
    public void Should_Pick_Fine_Or_Coarse_Labels_Of_Cifar100()
    {
        // Given CIFAR-100 records with coarse label i and fine label 50 + i
        using var dir = new TempFolder();
        dir.File("train.bin", Records(4, i => (byte)i, i => (byte)(50 + i)));

        // When read with each label kind
        var fine = CifarBinary.ReadCifar100(dir.Path, train: true);
        var coarse = CifarBinary.ReadCifar100(dir.Path, train: true, coarseLabels: true);

        // Then the right byte is used
        Assert.Equal([50, 51, 52, 53], Enumerable.Range(0, 4).Select(fine.Label));
        Assert.Equal([0, 1, 2, 3], Enumerable.Range(0, 4).Select(coarse.Label));
        Assert.Equal(100, fine.ClassNames.Count);
        Assert.Equal(20, coarse.ClassNames.Count);
    }

    [Fact]
    public void Should_Fail_Fast_Offline_Saying_Where_To_Put_The_Files()
    {
        // Given no files anywhere and a server that refuses connections
        using var cache = new TempFolder();
        var options = new CifarOptions
        {
            CacheDirectory = cache.Path,
            DataDirectory = Path.Combine(cache.Path, "nowhere"),
            Source = new CifarSource("http://127.0.0.1:9/cifar-10-binary.tar.gz", "00000000000000000000000000000000"),
            ConnectTimeout = TimeSpan.FromSeconds(3),
        };

        // When CIFAR-10 is located
        var clock = Stopwatch.StartNew();
        var e = Assert.Throws<FileNotFoundException>(() => CifarBinary.Locate(CifarKind.Cifar10, options));

        // Then it fails within the timeout, naming the URL, the folder to create and --data-dir
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"took {clock.Elapsed}");
        Assert.Contains("cifar-10-batches-bin", e.Message);
        Assert.Contains("--data-dir", e.Message);
        Assert.Contains("127.0.0.1:9", e.Message);
    }

    [Fact]
    public void Should_Unpack_A_Verified_Archive_From_The_Cache_Without_Downloading()
    {
        // Given a CIFAR-100 archive already in the cache, with its MD5 as the expected one
        using var cache = new TempFolder();
        using var staging = new TempFolder();
        staging.File("cifar-100-binary/train.bin", Records(2, i => 1, i => 2));
        staging.File("cifar-100-binary/test.bin", Records(1, i => 3, i => 4));
        var archive = Path.Combine(cache.Path, "cifar-100-binary.tar.gz");
        using (var file = File.Create(archive))
        using (var gz = new GZipStream(file, CompressionLevel.Fastest))
            TarFile.CreateFromDirectory(staging.Path, gz, includeBaseDirectory: false);
        var md5 = Convert.ToHexString(MD5.HashData(File.ReadAllBytes(archive))).ToLowerInvariant();
        var options = new CifarOptions
        {
            CacheDirectory = cache.Path,
            Source = new CifarSource("http://127.0.0.1:9/cifar-100-binary.tar.gz", md5), // unreachable: must not be needed
        };

        // When CIFAR-100 is loaded
        var test = CifarBinary.Load(CifarKind.Cifar100, train: false, options);

        // Then the archive was unpacked into the cache and read
        Assert.Equal(4, test.Label(0));
        Assert.True(File.Exists(Path.Combine(cache.Path, "cifar-100-binary", "train.bin")));
    }
}
