using System.Formats.Tar;
using System.IO.Compression;
using ResNetSharp.Data;

namespace ResNetSharp.Tests.Data;

public sealed class ArchiveCacheTests
{
    [Fact]
    public void Should_Unpack_Once_And_Reuse_The_Folder()
    {
        // Given a small .tar.gz in ImageFolder layout
        using var staging = new TempFolder();
        using var cache = new TempFolder();
        staging.File("train/cat/0.txt", "meow"u8.ToArray());
        var archive = Path.Combine(cache.Path, "tiny.tar.gz");
        using (var file = File.Create(archive))
        using (var gz = new GZipStream(file, CompressionLevel.Fastest))
            TarFile.CreateFromDirectory(staging.Path, gz, includeBaseDirectory: false);

        // When it is unpacked, a file is changed, and it is unpacked again
        var folder = ArchiveCache.Unpack(archive, Path.Combine(cache.Path, "datasets"));
        var unpacked = Path.Combine(folder, "train", "cat", "0.txt");
        File.WriteAllText(unpacked, "changed");
        var again = ArchiveCache.Unpack(archive, Path.Combine(cache.Path, "datasets"));

        // Then the same folder comes back without a second unpack
        Assert.Equal(Path.Combine(cache.Path, "datasets", "tiny"), folder);
        Assert.Equal(folder, again);
        Assert.Equal("changed", File.ReadAllText(unpacked));
    }

    [Fact]
    public void Should_Name_A_Missing_Archive()
    {
        var e = Assert.Throws<FileNotFoundException>(() => ArchiveCache.Unpack("/no/such/data.tar.gz"));
        Assert.Contains("/no/such/data.tar.gz", e.Message);
    }
}
