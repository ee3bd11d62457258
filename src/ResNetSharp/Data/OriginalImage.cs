namespace ResNetSharp.Data;

/// <summary>
/// No augmentation: the image as it is, e.g. CIFAR testing "on the original 32x32 image" (section 4.2).
/// Every image must have the declared size.
/// </summary>
public sealed record OriginalImage(int Height = 32, int Width = 32) : IImageTransform
{
    /// <inheritdoc />
    public void Apply(RgbImage source, ref SampleRandom random, Span<byte> destination, Span<float> offsets)
    {
        if (source.Width != Width || source.Height != Height)
            throw new InvalidDataException(
                $"An image is {source.Width}x{source.Height} but {nameof(OriginalImage)} expects {Width}x{Height}; resize it or use {nameof(CenterCrop)}.");
        source.Pixels.Span.CopyTo(destination);
    }
}
