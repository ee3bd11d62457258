using ResNetSharp.Data;
using SkiaSharp;

namespace ResNetSharp.Tests.Data;

public sealed class ImageFolderTests
{
    static byte[] Jpeg(byte r) => TestImages.Encode(TestImages.Solid(8, 8, r, 0, 0), SKEncodedImageFormat.Jpeg);

    [Fact]
    public void Should_Read_Every_Format_Skip_The_Corrupt_File_And_Report_It_Once()
    {
        // Given classes "b", "a", "C" (ordinal order: C, a, b) with assorted formats and one corrupt file
        using var root = new TempFolder();
        root.File("b/1.jpg", Jpeg(10));
        root.File("b/2.JPEG", TestImages.GrayJpeg(8, 8, 40));
        root.File("b/3.jpg", TestImages.CmykJpeg(0, 255, 255, 0));
        root.File("a/1.png", TestImages.PalettePng(4, 4, [(1, 2, 3)]));
        root.File("a/2.webp", TestImages.Encode(TestImages.Solid(8, 8, 9, 9, 9), SKEncodedImageFormat.Webp));
        root.File("a/broken.jpg", Jpeg(20)[..40]);
        root.File("a/notes.txt", "not an image"u8.ToArray());
        root.File("C/1.png", TestImages.Encode(TestImages.Solid(5, 3, 1, 1, 1), SKEncodedImageFormat.Png, alpha: 0));
        var skipped = new List<ImageFailure>();

        // When it is opened and loaded into memory
        var folder = ImageFolder.Open(root.Path, new ImageFolderOptions { OnSkipped = skipped.Add });
        var data = folder.Load();

        // Then classes are ordinal, the text file is ignored, the corrupt file is reported once and left out
        Assert.Equal(["C", "a", "b"], folder.ClassNames);
        Assert.Equal(7, folder.Count);
        Assert.Equal(6, data.Count);
        Assert.Equal([1, 2, 3], data.ClassCounts());
        var failure = Assert.Single(skipped);
        Assert.EndsWith("broken.jpg", failure.Path);
        Assert.Single(folder.Failures);
        Assert.InRange(data.Image(4)[3, 3, 1], 38, 42); // grayscale → equal channels
        Assert.InRange(data.Image(5)[3, 3, 0], 250, 255); // CMYK magenta+yellow → red
        Assert.InRange(data.Image(5)[3, 3, 1], 0, 5);
    }

    [Fact]
    public void Should_Replace_A_Corrupt_File_By_The_Next_Of_Its_Class_When_Reading_On_Demand()
    {
        // Given class "a" whose second file is corrupt
        using var root = new TempFolder();
        root.File("a/1.jpg", Jpeg(50));
        root.File("a/2.jpg", [0xFF, 0xD8, 0xFF]);
        root.File("a/3.jpg", Jpeg(150));
        var skipped = 0;
        var folder = ImageFolder.Open(root.Path, new ImageFolderOptions { OnSkipped = _ => Interlocked.Increment(ref skipped) });

        // When sample 1 is read twice
        var first = folder.Image(1);
        var again = folder.Image(1);

        // Then file 3 stands in, and the failure is reported once
        Assert.InRange(first[0, 0, 0], 145, 155);
        Assert.Equal(first.Pixels.ToArray(), again.Pixels.ToArray());
        Assert.Equal(1, skipped);
        Assert.Equal(0, folder.Label(1));
    }

    [Fact]
    public void Should_Abort_After_Too_Many_Failures_In_A_Row_With_The_List()
    {
        // Given five corrupt files and a limit of three
        using var root = new TempFolder();
        for (var i = 0; i < 5; i++) root.File($"a/{i}.png", [1, 2, 3]);
        root.File("a/9.png", TestImages.Encode(TestImages.Solid(2, 2, 0, 0, 0), SKEncodedImageFormat.Png));

        // When loaded
        var e = Assert.Throws<ImageFolderException>(() =>
            ImageFolder.LoadInMemory(root.Path, new ImageFolderOptions { MaxConsecutiveFailures = 3 }));

        // Then the error lists the three failures
        Assert.Equal(3, e.Failures.Count);
        Assert.Contains("3 images in a row", e.Message);
    }

    [Fact]
    public void Should_Fail_On_An_Empty_Class_Naming_It_And_The_Extensions()
    {
        using var root = new TempFolder();
        root.File("cat/1.jpg", Jpeg(1));
        Directory.CreateDirectory(Path.Combine(root.Path, "dog"));
        var e = Assert.Throws<InvalidDataException>(() => ImageFolder.Open(root.Path));
        Assert.Contains(Path.Combine(root.Path, "dog"), e.Message);
        Assert.Contains(".webp", e.Message);
    }

    [Fact]
    public void Should_Fail_On_A_Root_Without_Class_Folders()
    {
        using var root = new TempFolder();
        root.File("loose.jpg", Jpeg(1));
        var e = Assert.Throws<InvalidDataException>(() => ImageFolder.Open(root.Path));
        Assert.Contains(root.Path, e.Message);
        Assert.Contains("<class>", e.Message);
    }
}
