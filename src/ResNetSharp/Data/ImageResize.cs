using System.Buffers;

namespace ResNetSharp.Data;

/// <summary>
/// Antialiased bilinear resampling of RGB bytes (a triangle filter widened by the scale factor when
/// shrinking, as PIL does), separable: rows first, then columns. Resizing a region of the source is
/// exactly the same as resizing the whole image and cropping, so crops never need the full resized image.
/// </summary>
public static class ImageResize
{
    /// <summary>The size of a <paramref name="width"/>x<paramref name="height"/> image whose shorter side is scaled to <paramref name="side"/>.</summary>
    public static (int Width, int Height) ShorterSideSize(int width, int height, int side)
    {
        if (side < 1) throw new ArgumentOutOfRangeException(nameof(side), side, "The shorter side must be at least 1 pixel.");
        return width <= height
            ? (side, Math.Max(1, (int)Math.Round((double)height * side / width)))
            : (Math.Max(1, (int)Math.Round((double)width * side / height)), side);
    }

    /// <summary>Resizes <paramref name="source"/> so that its shorter side is <paramref name="side"/>, keeping the aspect ratio.</summary>
    public static RgbImage ResizeShorterSide(RgbImage source, int side)
    {
        var (w, h) = ShorterSideSize(source.Width, source.Height, side);
        return Resize(source, w, h);
    }

    /// <summary>Resizes <paramref name="source"/> to <paramref name="width"/>x<paramref name="height"/>.</summary>
    public static RgbImage Resize(RgbImage source, int width, int height)
    {
        if (width == source.Width && height == source.Height) return source;
        var pixels = new byte[width * height * 3];
        ResizeRegion(source, 0, 0, source.Width, source.Height, width, height, false, pixels);
        return new RgbImage(width, height, pixels);
    }

    /// <summary>
    /// Resamples the source rectangle at (<paramref name="left"/>, <paramref name="top"/>) of size
    /// <paramref name="regionWidth"/>x<paramref name="regionHeight"/> (source pixels, may be fractional)
    /// to <paramref name="outWidth"/>x<paramref name="outHeight"/>, mirrored left–right when <paramref name="flip"/>.
    /// </summary>
    public static void ResizeRegion(RgbImage source, double left, double top, double regionWidth, double regionHeight,
        int outWidth, int outHeight, bool flip, Span<byte> destination)
    {
        var cx = Coefficients.For(source.Width, left, regionWidth, outWidth);
        var cy = Coefficients.For(source.Height, top, regionHeight, outHeight);
        var firstRow = cy.Start[0];
        var lastRow = cy.Start[^1] + cy.Count[^1];
        for (var i = 0; i < outHeight; i++)
        {
            firstRow = Math.Min(firstRow, cy.Start[i]);
            lastRow = Math.Max(lastRow, cy.Start[i] + cy.Count[i]);
        }
        var rows = lastRow - firstRow;
        var rowLength = outWidth * 3;
        var temp = ArrayPool<float>.Shared.Rent(rows * rowLength);
        try
        {
            var src = source.Pixels.Span;
            for (var r = 0; r < rows; r++)
            {
                var srcRow = src.Slice((firstRow + r) * source.Width * 3, source.Width * 3);
                var tmpRow = temp.AsSpan(r * rowLength, rowLength);
                for (var x = 0; x < outWidth; x++)
                {
                    var k = flip ? outWidth - 1 - x : x;
                    float sr = 0, sg = 0, sb = 0;
                    var start = cx.Start[k];
                    var weights = cx.Weights.AsSpan(k * cx.Taps, cx.Count[k]);
                    for (var t = 0; t < weights.Length; t++)
                    {
                        var p = (start + t) * 3;
                        var w = weights[t];
                        sr += srcRow[p] * w;
                        sg += srcRow[p + 1] * w;
                        sb += srcRow[p + 2] * w;
                    }
                    tmpRow[x * 3] = sr;
                    tmpRow[x * 3 + 1] = sg;
                    tmpRow[x * 3 + 2] = sb;
                }
            }
            for (var y = 0; y < outHeight; y++)
            {
                var outRow = destination.Slice(y * rowLength, rowLength);
                var weights = cy.Weights.AsSpan(y * cy.Taps, cy.Count[y]);
                var baseRow = cy.Start[y] - firstRow;
                for (var i = 0; i < rowLength; i++)
                {
                    float s = 0;
                    for (var t = 0; t < weights.Length; t++) s += temp[(baseRow + t) * rowLength + i] * weights[t];
                    outRow[i] = ToByte(s);
                }
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(temp);
        }
    }

    static byte ToByte(float v) => v <= 0 ? (byte)0 : v >= 255 ? (byte)255 : (byte)(v + 0.5f);

    /// <summary>For each output coordinate: the first source pixel, how many follow, and their normalised weights.</summary>
    sealed record Coefficients(int[] Start, int[] Count, float[] Weights, int Taps)
    {
        public static Coefficients For(int inSize, double offset, double length, int outSize)
        {
            if (outSize < 1) throw new ArgumentOutOfRangeException(nameof(outSize), outSize, "The output size must be at least 1 pixel.");
            if (length <= 0) throw new ArgumentOutOfRangeException(nameof(length), length, "The source region must not be empty.");
            var scale = length / outSize;
            var support = Math.Max(scale, 1.0); // triangle radius in source pixels: wider when shrinking (antialias)
            var taps = (int)Math.Ceiling(support) * 2 + 1;
            var start = new int[outSize];
            var count = new int[outSize];
            var weights = new float[outSize * taps];
            for (var i = 0; i < outSize; i++)
            {
                var center = offset + (i + 0.5) * scale;
                var lo = Math.Clamp((int)Math.Floor(center - support), 0, inSize - 1);
                var hi = Math.Clamp((int)Math.Ceiling(center + support), lo + 1, inSize);
                hi = Math.Min(hi, lo + taps);
                double sum = 0;
                for (var j = lo; j < hi; j++) sum += Math.Max(0, 1 - Math.Abs((j + 0.5 - center) / support));
                if (sum <= 0)
                {
                    // the centre lies outside the image: take the nearest edge pixel
                    var nearest = Math.Clamp((int)Math.Floor(center), 0, inSize - 1);
                    start[i] = nearest;
                    count[i] = 1;
                    weights[i * taps] = 1;
                    continue;
                }
                start[i] = lo;
                count[i] = hi - lo;
                for (var j = lo; j < hi; j++)
                    weights[i * taps + j - lo] = (float)(Math.Max(0, 1 - Math.Abs((j + 0.5 - center) / support)) / sum);
            }
            return new Coefficients(start, count, weights, taps);
        }
    }
}
