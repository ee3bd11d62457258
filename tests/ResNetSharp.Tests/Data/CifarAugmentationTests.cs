using ResNetSharp.Data;

namespace ResNetSharp.Tests.Data;

public sealed class CifarAugmentationTests
{
    [Fact]
    public void Should_Crop_At_The_Given_Offset_With_Zero_Padding()
    {
        // Given a 4x4 image whose pixels hold their coordinates, padded by 2
        var image = TestImages.Coordinates(4, 4);
        var output = new byte[4 * 4 * 3];

        // When the 4x4 crop starts at padded (1, 3): source column x−1, row y+1
        CifarAugmentation.PadCropFlip(image, 2, 4, 1, 3, false, output);

        // Then each pixel is source (x−1, y+1) or zero where that falls in the padding
        for (var y = 0; y < 4; y++)
            for (var x = 0; x < 4; x++)
            {
                int sx = x - 1, sy = y + 1;
                var inside = sx is >= 0 and < 4 && sy is >= 0 and < 4;
                var o = (y * 4 + x) * 3;
                Assert.Equal(inside ? sx : 0, output[o]);
                Assert.Equal(inside ? sy : 0, output[o + 1]);
                Assert.Equal(inside ? 7 : 0, output[o + 2]);
            }
    }

    [Fact]
    public void Should_Mirror_The_Crop_When_Flipped()
    {
        // Given the same crop taken with and without flip
        var image = TestImages.Coordinates(32, 32);
        var plain = new byte[32 * 32 * 3];
        var flipped = new byte[32 * 32 * 3];
        CifarAugmentation.PadCropFlip(image, 4, 32, 6, 2, false, plain);

        // When it is flipped
        CifarAugmentation.PadCropFlip(image, 4, 32, 6, 2, true, flipped);

        // Then column x of the flipped crop is column 31−x of the plain one
        for (var y = 0; y < 32; y++)
            for (var x = 0; x < 32; x++)
                for (var c = 0; c < 3; c++)
                    Assert.Equal(plain[(y * 32 + 31 - x) * 3 + c], flipped[(y * 32 + x) * 3 + c]);
        // source column x+2: plain columns 30 and 31 are padding, so after the flip columns 0 and 1 are
        Assert.Equal(0, flipped[(10 * 32 + 0) * 3 + 2]); // row 10: source row 8, inside the image
        Assert.Equal(7, flipped[(10 * 32 + 31) * 3 + 2]);
    }

    [Fact]
    public void Should_Draw_All_81_Offsets_And_Flip_About_Half_The_Time()
    {
        // Given the paper's augmentation (pad 4, crop 32)
        var aug = new CifarAugmentation();
        var image = TestImages.Coordinates(32, 32);
        var seen = new HashSet<(int, int)>();
        var flips = 0;

        // When 4000 samples are drawn
        for (var i = 0; i < 4000; i++)
        {
            var random = SampleRandom.For(1, 0, i);
            var (left, top, flip) = aug.Sample(image, ref random);
            seen.Add((left, top));
            flips += flip ? 1 : 0;
        }

        // Then every offset in [0, 8]² occurs, nothing else, and about half are flipped
        Assert.Equal(81, seen.Count);
        Assert.All(seen, s => Assert.InRange(s.Item1, 0, 8));
        Assert.InRange(flips, 1800, 2200);
    }

    [Fact]
    public void Should_Return_The_Original_Image_At_The_Centre_Offset()
    {
        // Given offset (4, 4) with padding 4: the crop is the image itself
        var image = TestImages.Coordinates(32, 32);
        var output = new byte[32 * 32 * 3];

        // When cropped
        CifarAugmentation.PadCropFlip(image, 4, 32, 4, 4, false, output);

        // Then nothing moved
        Assert.Equal(image.Pixels.ToArray(), output);
    }
}
