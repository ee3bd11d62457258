using ResNetSharp.Data;

namespace ResNetSharp.Tests.Data;

public sealed class ImageNetAugmentationTests
{
    [Fact]
    public void Should_Keep_Pixels_When_Resizing_To_The_Same_Size()
    {
        // Given an image
        var image = TestImages.Coordinates(40, 30);
        var output = new byte[20 * 10 * 3];

        // When a 20x10 region is resampled at scale 1
        ImageResize.ResizeRegion(image, 5, 7, 20, 10, 20, 10, false, output);

        // Then it is an exact copy of that region
        for (var y = 0; y < 10; y++)
            for (var x = 0; x < 20; x++)
            {
                Assert.Equal(x + 5, output[(y * 20 + x) * 3]);
                Assert.Equal(y + 7, output[(y * 20 + x) * 3 + 1]);
            }
    }

    [Fact]
    public void Should_Average_When_Halving()
    {
        // Given a 4x1 row 0, 100, 200, 200 (per channel)
        var px = new byte[] { 0, 0, 0, 100, 100, 100, 200, 200, 200, 200, 200, 200 };
        var image = new RgbImage(4, 1, px);

        // When resized to 2x1
        var half = ImageResize.Resize(image, 2, 1);

        // Then each output is a triangle-weighted average (weights 1/8, 3/8, 3/8, 1/8 over a support of 2)
        // output 0 centred at 1.0: pixels 0,1,2 at distances 0.5, 0.5, 1.5 → 0.75, 0.75, 0.25 (normalised /1.75)
        Assert.Equal((byte)Math.Round((0 * 0.75 + 100 * 0.75 + 200 * 0.25) / 1.75), half.Pixels.Span[0]);
        Assert.Equal((byte)Math.Round((100 * 0.25 + 200 * 0.75 + 200 * 0.75) / 1.75), half.Pixels.Span[3]);
    }

    [Fact]
    public void Should_Scale_The_Shorter_Side_Into_256_480_And_Crop_224()
    {
        // Given a 500x375 image and the paper's scale augmentation
        var aug = new ImageNetAugmentation();
        var scales = new List<double>();

        // When many regions are drawn
        for (var i = 0; i < 2000; i++)
        {
            var random = SampleRandom.For(3, 0, i);
            var (left, top, w, h, _) = aug.SampleRegion(500, 375, ref random);
            // Then the region is a 224 crop of the image resized to S, inside the image
            var s = 224 * 375 / h;
            scales.Add(s);
            Assert.InRange(s, 255.99, 480.01);
            Assert.Equal(1.0, w / h, 2);
            Assert.True(left >= 0 && top >= 0 && left + w <= 500 + 1e-9 && top + h <= 375 + 1e-9);
        }
        Assert.True(scales.Min() < 270 && scales.Max() > 466, "S should span [256, 480]");
    }

    [Fact]
    public void Should_Draw_Inception_Crops_Inside_The_Image()
    {
        // Given the RandomResizedCrop option
        var aug = new ImageNetAugmentation { Mode = CropMode.RandomResizedCrop, Lighting = null };

        // When regions are drawn from a 300x200 image
        for (var i = 0; i < 500; i++)
        {
            var random = SampleRandom.For(0, 0, i);
            var (left, top, w, h, _) = aug.SampleRegion(300, 200, ref random);

            // Then each lies inside, with area fraction and ratio in range (or the centred fallback)
            Assert.True(left >= 0 && top >= 0 && left + w <= 300 && top + h <= 200);
            Assert.InRange(w * h / 60000.0, 0.07, 1.0);
        }
    }

    [Fact]
    public void Should_Produce_224_Crops_With_A_Lighting_Offset()
    {
        // Given an image and the paper's augmentation
        var image = TestImages.Coordinates(300, 260);
        var output = new byte[224 * 224 * 3];
        var offsets = new float[3];
        var random = SampleRandom.For(0, 0, 1);

        // When applied
        new ImageNetAugmentation().Apply(image, ref random, output, offsets);

        // Then a colour offset was drawn and the blue channel (constant 7) survives resampling
        Assert.NotEqual(0f, offsets[0]);
        Assert.All(Enumerable.Range(0, 224 * 224), p => Assert.Equal(7, output[p * 3 + 2]));
    }
}
