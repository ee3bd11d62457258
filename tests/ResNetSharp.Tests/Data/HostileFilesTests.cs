using System.Diagnostics;
using ResNetSharp.Data;
using ResNetSharp.Interop;
using ResNetSharp.Training;
using SkiaSharp;

namespace ResNetSharp.Tests.Data;

/// <summary>Files a careless or hostile user may hand the data readers (issue 14, items 1, 2, 10, 12).</summary>
public sealed class HostileFilesTests
{
    static byte[] GoodPng(byte seed) => TestImages.Encode(TestImages.Coordinates(8, 8, seed), SKEncodedImageFormat.Png);

    [Theory]
    [InlineData(100_000, 100_000)] // w·h·4 wraps in 32 bits: the native decoder wrote past its buffer (SIGSEGV)
    [InlineData(40_000, 20_000)]   // w·h·4 is negative in 32 bits: an unhandled exception
    public void Should_Report_A_Png_Whose_Header_Declares_Too_Many_Pixels_As_Unreadable(int width, int height)
    {
        // Given a PNG of a few dozen bytes whose header declares a huge image
        var png = TestImages.HugeHeaderPng(width, height);
        Assert.True(png.Length < 100, $"{png.Length} bytes");

        // When it is decoded
        var e = Assert.Throws<InvalidDataException>(() => ImageDecoder.Decode(png, "huge.png"));

        // Then it is reported as unreadable, naming the declared size and the limit
        Assert.Contains($"{width}x{height}", e.Message);
        Assert.Contains(ImageDecoder.MaxPixels.ToString("N0", System.Globalization.CultureInfo.CurrentCulture), e.Message);
    }

    [Fact]
    public void Should_Skip_A_Huge_Header_Png_In_An_Image_Folder()
    {
        using var folder = new TempFolder();
        for (var i = 0; i < 12; i++) folder.File($"a/{i:00}.png", GoodPng((byte)i));
        for (var i = 0; i < 12; i++) folder.File($"b/{i:00}.png", GoodPng((byte)(100 + i)));
        folder.File("a/zz-huge.png", TestImages.HugeHeaderPng(100_000, 100_000));

        var loaded = ImageFolder.Open(folder.Path).Load();

        Assert.Equal(24, loaded.Count);
    }

    [Fact]
    public void Should_Not_Follow_A_Symbolic_Link_Loop_Into_Mislabelled_Images()
    {
        // Given train/cat and train/dog with 5 images each, and train/cat/loop -> .. (the train folder)
        using var folder = new TempFolder();
        for (var i = 0; i < 5; i++)
        {
            folder.File($"train/cat/{i}.png", GoodPng((byte)i));
            folder.File($"train/dog/{i}.png", GoodPng((byte)(50 + i)));
        }
        var train = Path.Combine(folder.Path, "train");
        Directory.CreateSymbolicLink(Path.Combine(train, "cat", "loop"), "..");

        // When the folder is listed
        var set = ImageFolder.Open(train);

        // Then each image is listed once, under its own class
        Assert.Equal(10, set.Count);
        Assert.Equal(set.Files.Count, set.Files.Distinct().Count());
        for (var i = 0; i < set.Count; i++)
            Assert.Equal(set.ClassNames[set.Label(i)], Path.GetFileName(Path.GetDirectoryName(set.Files[i])));
    }

    [Fact]
    public void Should_Abort_When_More_Than_The_Stated_Share_Of_Images_Is_Unreadable()
    {
        // Given 20 readable images and 5 damaged ones (20% > the 10% allowed)
        using var folder = new TempFolder();
        for (var i = 0; i < 10; i++)
        {
            folder.File($"a/{i:00}.png", GoodPng((byte)i));
            folder.File($"b/{i:00}.png", GoodPng((byte)(60 + i)));
        }
        for (var i = 0; i < 5; i++) folder.File($"b/bad{i}.png", [0x89, (byte)'P', (byte)'N', (byte)'G', 1, 2, 3]);

        var e = Assert.Throws<ImageFolderException>(() => ImageFolder.Open(folder.Path).Load());

        Assert.Contains("5 of 25", e.Message);
        Assert.Equal(5, e.Failures.Count);
    }

    [Fact]
    public void Should_Report_A_File_Name_That_Is_Not_Utf8_Instead_Of_Failing_The_Whole_Folder()
    {
        // Given a folder where one file's name holds the byte 0xFF (not UTF-8), made by the shell as a user would
        using var folder = new TempFolder();
        for (var i = 0; i < 10; i++)
        {
            folder.File($"a/{i:00}.png", GoodPng((byte)i));
            folder.File($"b/{i:00}.png", GoodPng((byte)(60 + i)));
        }
        using (var sh = Process.Start(new ProcessStartInfo("/bin/sh", ["-c", "cp 00.png \"$(printf 'bad\\377.png')\""]) { WorkingDirectory = Path.Combine(folder.Path, "a") })!)
            sh.WaitForExit();
        Assert.Equal(11, Directory.GetFiles(Path.Combine(folder.Path, "a")).Length);

        // When it is listed and decoded
        var set = ImageFolder.Open(folder.Path);
        var loaded = set.Load();

        // Then the other 20 images load and the odd name is reported as skipped, saying why
        Assert.Equal(20, loaded.Count);
        var failure = Assert.Single(set.Failures);
        Assert.Contains("not valid UTF-8", failure.Reason);
        using (var rm = Process.Start("/bin/rm", ["-rf", folder.Path])) rm.WaitForExit(); // .NET cannot delete that name either
    }

    [Fact]
    public void Should_Refuse_A_Safetensors_Header_Listing_Too_Many_Tensors()
    {
        // Given a header listing 100,001 empty tensors (a 77 MB header of 1.3 M took 43 s and 1.8 GB)
        using var folder = new TempFolder();
        var entries = string.Join(",", Enumerable.Range(0, SafetensorsHeader.MaxTensors + 1).Select(i => $"\"t{i}\":{{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[0,0]}}"));
        var header = System.Text.Encoding.UTF8.GetBytes("{" + entries + "}");
        var bytes = new byte[8 + header.Length];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)header.Length);
        header.CopyTo(bytes, 8);
        var path = folder.File("many.safetensors", bytes);

        // When a checkpoint reader opens it, it refuses naming the bound
        var e = Assert.Throws<InvalidDataException>(() => Checkpoint.Load(path));
        Assert.Contains("more than 100,000 tensors", e.Message);
    }
}
