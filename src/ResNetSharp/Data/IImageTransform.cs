namespace ResNetSharp.Data;

/// <summary>
/// A per-sample transform from a decoded image to one or more fixed-size views, written as RGB bytes
/// (HWC) into a buffer the caller owns. Colour noise that does not fit in bytes (PCA lighting) is
/// returned as a per-view RGB offset in pixel units (0–255) that the loader adds before normalising.
/// Implementations must be stateless or thread-safe: workers call <see cref="Apply"/> concurrently.
/// </summary>
public interface IImageTransform
{
    /// <summary>Height of every output view.</summary>
    int Height { get; }

    /// <summary>Width of every output view.</summary>
    int Width { get; }

    /// <summary>Number of views per sample (1, or 10 for 10-crop).</summary>
    int Views => 1;

    /// <summary>
    /// Writes <see cref="Views"/> views of <paramref name="source"/> into <paramref name="destination"/>
    /// (<c>Views * Height * Width * 3</c> bytes) and their colour offsets into <paramref name="offsets"/>
    /// (<c>Views * 3</c> floats, already zeroed by the caller).
    /// </summary>
    void Apply(RgbImage source, ref SampleRandom random, Span<byte> destination, Span<float> offsets);
}
