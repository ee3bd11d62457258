namespace ResNetSharp.Data;

/// <summary>
/// How large a test image is before its crop: the one resize rule of evaluation, prediction and the reports. The
/// paper tests ImageNet nets on the image resized to shorter side 256 for a 224 crop (section 3.4, 10-crop); scaled
/// with the crop here. CIFAR-sized inputs are tested on the image as it is (section 4.2), with room for corners
/// when ten crops are taken.
/// </summary>
public static class TestView
{
    /// <summary>Crops up to this side are CIFAR-sized: their test images are not upscaled to 256:224.</summary>
    public const int SmallCrop = 64;

    /// <summary>The paper's 256:224, scaled to <paramref name="crop"/>: 256 for 224, 73 for 64.</summary>
    public static int PaperShorterSide(int crop) => (int)Math.Round(crop * 256 / 224.0);

    /// <summary>The shorter side before a centre crop of <paramref name="crop"/>: the crop itself for CIFAR sizes, else 256:224.</summary>
    public static int ShorterSide(int crop) => crop <= SmallCrop ? crop : PaperShorterSide(crop);

    /// <summary>The shorter side before ten crops of <paramref name="crop"/>: one eighth larger for CIFAR sizes (36 for 32), else 256:224.</summary>
    public static int TenCropShorterSide(int crop) => crop <= SmallCrop ? crop + crop / 8 : PaperShorterSide(crop);
}
