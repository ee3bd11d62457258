using System.Buffers;
using SkiaSharp;

namespace ResNetSharp.Data;

/// <summary>
/// Decodes JPEG, PNG, BMP, GIF (first frame) and WebP with SkiaSharp into RGB bytes: grayscale,
/// CMYK and palette images become RGB, alpha is dropped (as PIL's <c>convert("RGB")</c> does), and the
/// EXIF orientation is applied so the pixels are upright.
/// </summary>
public static class ImageDecoder
{
    /// <summary>
    /// Largest image decoded, in pixels (width × height): 100 megapixels, about 400 MB of decode buffer. A file whose
    /// header declares more (a hostile or corrupt header, e.g. 100000 x 100000) is reported as unreadable before any
    /// buffer is allocated.
    /// </summary>
    public const long MaxPixels = 100_000_000;

    /// <summary>File extensions read as images (lower case, with the dot).</summary>
    public static IReadOnlyList<string> Extensions { get; } = [".jpg", ".jpeg", ".png", ".bmp", ".gif", ".webp"];

    /// <summary>Whether <paramref name="path"/> has one of the <see cref="Extensions"/> (case-insensitive).</summary>
    public static bool IsImageFile(string path) =>
        Extensions.Contains(Path.GetExtension(path).ToLowerInvariant());

    /// <summary>Reads and decodes the file at <paramref name="path"/>; throws <see cref="InvalidDataException"/> naming it if it is not a complete image.</summary>
    public static RgbImage DecodeFile(string path) => Decode(File.ReadAllBytes(path), path);

    /// <summary>Decodes <paramref name="encoded"/>; <paramref name="name"/> is used in error messages.</summary>
    public static unsafe RgbImage Decode(ReadOnlySpan<byte> encoded, string name = "image")
    {
        using var data = CreateData(encoded, name);
        var codec = SKCodec.Create(data)
            ?? throw new InvalidDataException($"{name}: not a readable image; accepted formats: {string.Join(", ", Extensions)}.");
        using (codec)
        {
            var (w, h) = (codec.Info.Width, codec.Info.Height);
            if (w < 1 || h < 1) throw new InvalidDataException($"{name}: the image has no pixels ({w}x{h}).");
            if ((long)w * h > MaxPixels) // 64-bit: w·h·4 in int wraps for large headers
                throw new InvalidDataException($"{name}: the header declares {w}x{h} pixels, more than the {MaxPixels:N0} this decoder accepts; the file is corrupt or not a training image.");
            var info = new SKImageInfo(w, h, SKColorType.Rgba8888, SKAlphaType.Unpremul);
            var rgba = ArrayPool<byte>.Shared.Rent(w * h * 4);
            try
            {
                SKCodecResult result;
                fixed (byte* p = rgba) result = codec.GetPixels(info, (nint)p);
                if (result != SKCodecResult.Success)
                    throw new InvalidDataException($"{name}: the image is damaged or truncated ({result}).");
                return Orient(rgba, w, h, codec.EncodedOrigin);
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(rgba);
            }
        }
    }

    static unsafe SKData CreateData(ReadOnlySpan<byte> encoded, string name)
    {
        if (encoded.IsEmpty) throw new InvalidDataException($"{name}: the file is empty.");
        fixed (byte* p = encoded) return SKData.CreateCopy((nint)p, (ulong)encoded.Length);
    }

    /// <summary>Drops alpha and applies the EXIF orientation (the transform that makes the stored pixels upright).</summary>
    internal static RgbImage Orient(ReadOnlySpan<byte> rgba, int w, int h, SKEncodedOrigin origin)
    {
        var swap = origin is SKEncodedOrigin.LeftTop or SKEncodedOrigin.RightTop or SKEncodedOrigin.RightBottom or SKEncodedOrigin.LeftBottom;
        int ow = swap ? h : w, oh = swap ? w : h;
        var rgb = new byte[ow * oh * 3];
        if (origin == SKEncodedOrigin.TopLeft)
        {
            for (int i = 0, n = w * h; i < n; i++)
            {
                rgb[i * 3] = rgba[i * 4];
                rgb[i * 3 + 1] = rgba[i * 4 + 1];
                rgb[i * 3 + 2] = rgba[i * 4 + 2];
            }
            return new RgbImage(ow, oh, rgb);
        }
        for (var y = 0; y < oh; y++)
            for (var x = 0; x < ow; x++)
            {
                var (sx, sy) = origin switch
                {
                    SKEncodedOrigin.TopRight => (w - 1 - x, y),          // mirrored
                    SKEncodedOrigin.BottomRight => (w - 1 - x, h - 1 - y), // rotated 180
                    SKEncodedOrigin.BottomLeft => (x, h - 1 - y),        // mirrored vertically
                    SKEncodedOrigin.LeftTop => (y, x),                   // transposed
                    SKEncodedOrigin.RightTop => (y, h - 1 - x),          // needs 90° clockwise
                    SKEncodedOrigin.RightBottom => (w - 1 - y, h - 1 - x), // transversed
                    SKEncodedOrigin.LeftBottom => (w - 1 - y, x),        // needs 90° counter-clockwise
                    _ => (x, y),
                };
                var s = (sy * w + sx) * 4;
                var d = (y * ow + x) * 3;
                rgb[d] = rgba[s];
                rgb[d + 1] = rgba[s + 1];
                rgb[d + 2] = rgba[s + 2];
            }
        return new RgbImage(ow, oh, rgb);
    }
}
