using ResNetSharp.Data;

namespace ResNetSharp.Tests.Data;

/// <summary>
/// torchvision's <c>Resize(s)</c> makes the shorter side s and the longer <c>int(s · long / short)</c> (truncated);
/// <c>CenterCrop(c)</c> starts at <c>int(round((side − c) / 2))</c> with Python's round (half to even). Values below are worked by hand.
/// </summary>
public sealed class TorchvisionConventionsTests
{
    [Theory]
    [InlineData(640, 427, 256, 383, 256)] // 256·640/427 = 383.7 → 383 (rounding would give 384)
    [InlineData(427, 640, 256, 256, 383)]
    [InlineData(500, 375, 256, 341, 256)] // 341.33 → 341
    [InlineData(451, 300, 224, 336, 224)] // 336.75 → 336 (rounding: 337)
    [InlineData(300, 300, 256, 256, 256)]
    public void Should_Truncate_The_Longer_Side_Like_Torchvision_Resize(int width, int height, int side, int expectedWidth, int expectedHeight)
    {
        // Given a photo's size and a shorter-side target
        // When the resized size is computed
        var size = ImageResize.ShorterSideSize(width, height, side);

        // Then the longer side is truncated, not rounded
        Assert.Equal((expectedWidth, expectedHeight), size);
    }

    [Theory]
    [InlineData(383, 256, 224, 80, 16)] // (383 − 224) / 2 = 79.5 → 80 (half to even; flooring gave 79)
    [InlineData(225, 227, 224, 0, 2)]   // 0.5 → 0, 1.5 → 2
    [InlineData(229, 224, 224, 2, 0)]   // 2.5 → 2
    [InlineData(231, 224, 224, 4, 0)]   // 3.5 → 4
    public void Should_Round_The_Centre_Crop_Offset_Half_To_Even_Like_Torchvision_CenterCrop(int width, int height, int crop, int left, int top)
    {
        // Given a resized image and a crop size
        // When the crops are placed
        var centre = TenCrop.CropOffsets(width, height, crop)[TenCrop.Centre];

        // Then the centre crop starts where torchvision's CenterCrop starts
        Assert.Equal((left, top), centre);
    }

    [Fact]
    public void Should_Crop_The_Centre_View_At_The_Torchvision_Offset()
    {
        // Given a 40x35 coordinate image (no resize) and a 32 crop: offsets (40 − 32) / 2 = 4 and (35 − 32) / 2 = 1.5 → 2
        var image = TestImages.Coordinates(40, 35);
        var view = new byte[32 * 32 * 3];
        var random = new SampleRandom(0);

        // When the centre crop is taken
        new CenterCrop(32, null).Apply(image, ref random, view, new float[3]);

        // Then its first pixel is the source pixel (4, 2)
        Assert.Equal([image[4, 2, 0], image[4, 2, 1], image[4, 2, 2]], view[..3]);
    }
}
