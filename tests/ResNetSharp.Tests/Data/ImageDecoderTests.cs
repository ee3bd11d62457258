using ResNetSharp.Data;
using SkiaSharp;

namespace ResNetSharp.Tests.Data;

public sealed class ImageDecoderTests
{
    static void AssertColour(RgbImage image, int r, int g, int b, int tolerance)
    {
        for (var y = 0; y < image.Height; y++)
            for (var x = 0; x < image.Width; x++)
            {
                Assert.InRange(image[x, y, 0], r - tolerance, r + tolerance);
                Assert.InRange(image[x, y, 1], g - tolerance, g + tolerance);
                Assert.InRange(image[x, y, 2], b - tolerance, b + tolerance);
            }
    }

    [Fact]
    public void Should_Decode_Png_Exactly()
    {
        var image = TestImages.Coordinates(6, 5);
        var decoded = ImageDecoder.Decode(TestImages.Encode(image, SKEncodedImageFormat.Png));
        Assert.Equal(image.Pixels.ToArray(), decoded.Pixels.ToArray());
    }

    [Fact]
    public void Should_Decode_Jpeg_And_WebP_Close_To_The_Original()
    {
        var image = TestImages.Solid(16, 16, 200, 100, 50);
        AssertColour(ImageDecoder.Decode(TestImages.Encode(image, SKEncodedImageFormat.Jpeg)), 200, 100, 50, 3);
        AssertColour(ImageDecoder.Decode(TestImages.Encode(image, SKEncodedImageFormat.Webp)), 200, 100, 50, 4);
    }

    [Fact]
    public void Should_Turn_Grayscale_Into_Three_Equal_Channels()
    {
        var decoded = ImageDecoder.Decode(TestImages.GrayJpeg(8, 8, 90));
        AssertColour(decoded, 90, 90, 90, 1);
    }

    [Fact]
    public void Should_Convert_Cmyk_Jpeg_To_Rgb()
    {
        // Given a hand-written Adobe CMYK JPEG of pure magenta+yellow ink (C=0, M=255, Y=255, K=0)
        var jpeg = TestImages.CmykJpeg(0, 255, 255, 0);

        // When decoded
        var decoded = ImageDecoder.Decode(jpeg);

        // Then it is red
        Assert.Equal((8, 8), (decoded.Width, decoded.Height));
        AssertColour(decoded, 255, 0, 0, 3);
    }

    [Fact]
    public void Should_Look_Up_Palette_Colours()
    {
        var png = TestImages.PalettePng(3, 2, [(255, 0, 0), (0, 255, 0), (0, 0, 255)]);
        var decoded = ImageDecoder.Decode(png);
        Assert.Equal((255, 0, 0), (decoded[0, 0, 0], decoded[0, 0, 1], decoded[0, 0, 2]));
        Assert.Equal((0, 0, 255), (decoded[1, 1, 0], decoded[1, 1, 1], decoded[1, 1, 2])); // (1 + 1) mod 3
    }

    [Fact]
    public void Should_Drop_Alpha_Keeping_The_Colour()
    {
        var png = TestImages.Encode(TestImages.Solid(4, 4, 10, 200, 30), SKEncodedImageFormat.Png, alpha: 128);
        AssertColour(ImageDecoder.Decode(png), 10, 200, 30, 1);
    }

    [Theory]
    [InlineData(1, 0, 0)] // upright: top-left stays
    [InlineData(3, 5, 3)] // rotated 180: top-left shows the last pixel
    [InlineData(6, 0, 3)] // needs 90° clockwise: top-left shows the bottom-left
    [InlineData(8, 5, 0)] // needs 90° counter-clockwise: top-left shows the top-right
    public void Should_Honour_Exif_Orientation(int orientation, int sourceX, int sourceY)
    {
        // Given a 6x4 PNG-exact pattern stored as a lossless-enough JPEG with an EXIF orientation
        var image = TestImages.Solid(6, 4, 0, 0, 0);
        var px = image.Pixels.ToArray();
        px[(sourceY * 6 + sourceX) * 3] = 255; // one bright red pixel marks the source corner
        var jpeg = TestImages.WithExifOrientation(TestImages.Encode(new RgbImage(6, 4, px), SKEncodedImageFormat.Jpeg), (ushort)orientation);

        // When decoded
        var decoded = ImageDecoder.Decode(jpeg);

        // Then the marked pixel is at the top-left and rotations swap width and height
        var rotated = orientation is 6 or 8;
        Assert.Equal(rotated ? (4, 6) : (6, 4), (decoded.Width, decoded.Height));
        Assert.True(decoded[0, 0, 0] > 100, $"top-left red is {decoded[0, 0, 0]}");
    }

    [Fact]
    public void Should_Reject_A_Truncated_Jpeg_Naming_It()
    {
        var jpeg = TestImages.Encode(TestImages.Coordinates(64, 64), SKEncodedImageFormat.Jpeg);
        var e = Assert.Throws<InvalidDataException>(() => ImageDecoder.Decode(jpeg[..(jpeg.Length / 2)], "cut.jpg"));
        Assert.Contains("cut.jpg", e.Message);
    }
}
