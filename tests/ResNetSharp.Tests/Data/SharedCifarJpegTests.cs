using ResNetSharp.Data;

namespace ResNetSharp.Tests.Data;

/// <summary>Runs only where the shared data folder next to the repository holds cifar-10-jpeg.tar.gz.</summary>
public sealed class SharedCifarFactAttribute : FactAttribute
{
    public SharedCifarFactAttribute()
    {
        if (SharedCifarJpegTests.Archive is null) Skip = "../shared/data/cifar-10-jpeg.tar.gz is not next to the repository.";
    }
}

public sealed class SharedCifarJpegTests
{
    /// <summary>The archive, found from the folder holding ResNetSharp.slnx; null when absent.</summary>
    public static string? Archive
    {
        get
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
                if (File.Exists(Path.Combine(dir.FullName, "ResNetSharp.slnx")))
                {
                    var path = Path.Combine(dir.FullName, "..", "shared", "data", "cifar-10-jpeg.tar.gz");
                    return File.Exists(path) ? Path.GetFullPath(path) : null;
                }
            return null;
        }
    }

    [SharedCifarFact]
    public void Should_Read_All_60000_Cifar10_Jpegs_With_5000_And_1000_Per_Class()
    {
        // Given the shared archive unpacked once into the cache
        var root = ArchiveCache.Unpack(Archive!);

        // When both splits are decoded into memory
        var skipped = new List<ImageFailure>();
        var train = ImageFolder.LoadInMemory(Path.Combine(root, "train"), new ImageFolderOptions { OnSkipped = skipped.Add });
        var test = ImageFolder.LoadInMemory(Path.Combine(root, "test"), new ImageFolderOptions { OnSkipped = skipped.Add });

        // Then every image is read, in the official class order, 32x32
        Assert.Empty(skipped);
        Assert.Equal(CifarBinary.Cifar10ClassNames, train.ClassNames);
        Assert.All(train.ClassCounts(), c => Assert.Equal(5000, c));
        Assert.All(test.ClassCounts(), c => Assert.Equal(1000, c));
        Assert.Equal((32, 32), (train.Image(12345).Width, train.Image(12345).Height));
    }
}
