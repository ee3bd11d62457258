namespace ResNetSharp.Data;

/// <summary>
/// A decoded image as 8-bit RGB bytes in row-major HWC order: pixel (x, y) channel c is at
/// <c>(y * Width + x) * 3 + c</c>. The pixels are not copied; the image is a view over its memory.
/// </summary>
public readonly struct RgbImage
{
    /// <summary>Wraps <paramref name="pixels"/>, which must hold exactly <c>width * height * 3</c> bytes.</summary>
    public RgbImage(int width, int height, ReadOnlyMemory<byte> pixels)
    {
        if (width < 1 || height < 1)
            throw new ArgumentOutOfRangeException(nameof(width), $"An image must be at least 1x1 pixels; got {width}x{height}.");
        if (pixels.Length != checked(width * height * 3))
            throw new ArgumentException($"A {width}x{height} RGB image needs {width * height * 3} bytes; got {pixels.Length}.", nameof(pixels));
        Width = width;
        Height = height;
        Pixels = pixels;
    }

    /// <summary>Width in pixels.</summary>
    public int Width { get; }

    /// <summary>Height in pixels.</summary>
    public int Height { get; }

    /// <summary>The RGB bytes, HWC.</summary>
    public ReadOnlyMemory<byte> Pixels { get; }

    /// <summary>Channel <paramref name="c"/> (0 = R, 1 = G, 2 = B) of the pixel at column <paramref name="x"/>, row <paramref name="y"/>.</summary>
    public byte this[int x, int y, int c] => Pixels.Span[(y * Width + x) * 3 + c];

    /// <summary>Builds an HWC image from planar CHW bytes (R plane, then G, then B), as CIFAR stores them.</summary>
    public static RgbImage FromPlanes(ReadOnlySpan<byte> chw, int width, int height)
    {
        var plane = width * height;
        if (chw.Length != plane * 3)
            throw new ArgumentException($"A {width}x{height} planar RGB image needs {plane * 3} bytes; got {chw.Length}.", nameof(chw));
        var hwc = new byte[plane * 3];
        for (var i = 0; i < plane; i++)
        {
            hwc[i * 3] = chw[i];
            hwc[i * 3 + 1] = chw[plane + i];
            hwc[i * 3 + 2] = chw[2 * plane + i];
        }
        return new RgbImage(width, height, hwc);
    }
}
