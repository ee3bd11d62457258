using static TorchSharp.torch;

namespace ResNetSharp.Data;

/// <summary>
/// Multi-scale testing (section 3.4): the fully-convolutional network is run on the whole image resized
/// to several shorter sides and the class scores are averaged. Image sizes differ, so views are returned
/// one image at a time.
/// </summary>
public static class MultiScale
{
    /// <summary>The paper's shorter sides: {224, 256, 384, 480, 640}.</summary>
    public static IReadOnlyList<int> PaperScales { get; } = [224, 256, 384, 480, 640];

    /// <summary>The image resized to each shorter side in <paramref name="scales"/> (default <see cref="PaperScales"/>).</summary>
    public static IEnumerable<(int Scale, RgbImage Image)> Views(RgbImage image, IReadOnlyList<int>? scales = null)
    {
        foreach (var s in scales ?? PaperScales) yield return (s, ImageResize.ResizeShorterSide(image, s));
    }

    /// <summary>
    /// One view as a [1, 3, H, W] float32 tensor; a per-pixel mean is averaged to channel means since the
    /// view's size differs from the training crop. The caller owns the tensor.
    /// </summary>
    public static Tensor ToTensor(RgbImage view, Normalization normalization) =>
        normalization.AveragedOverPixels().ToTensor(view.Pixels.Span, 1, view.Height, view.Width);
}
