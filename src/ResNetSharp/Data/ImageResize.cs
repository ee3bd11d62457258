using System.Buffers;

namespace ResNetSharp.Data;

/// <summary>
/// Antialiased bilinear resampling of RGB bytes (a triangle filter widened by the scale factor when
/// shrinking, as PIL does), separable: rows first, then columns. Resizing a region of the source is
/// exactly the same as resizing the whole image and cropping, so crops never need the full resized image.
/// </summary>
public static class ImageResize
{
    /// <summary>
    /// The size of a <paramref name="width"/>x<paramref name="height"/> image whose shorter side is scaled to
    /// <paramref name="side"/>; the longer side is truncated, <c>int(side · long / short)</c>, as torchvision's
    /// <c>Resize(side)</c> computes it, so both sides resize a photo to the same number of pixels.
    /// </summary>
    public static (int Width, int Height) ShorterSideSize(int width, int height, int side)
    {
        if (side < 1) throw new ArgumentOutOfRangeException(nameof(side), side, "The shorter side must be at least 1 pixel.");
        return width <= height
            ? (side, Math.Max(1, (int)((double)side * height / width)))
            : (Math.Max(1, (int)((double)side * width / height)), side);
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
    public static unsafe void ResizeRegion(RgbImage source, double left, double top, double regionWidth, double regionHeight,
        int outWidth, int outHeight, bool flip, Span<byte> destination)
    {
        var rowLength = outWidth * 3;
        if (destination.Length < rowLength * outHeight)
            throw new ArgumentException($"The destination holds {destination.Length} bytes; a {outWidth}x{outHeight} image needs {rowLength * outHeight}.", nameof(destination));
        var cx = Coefficients.For(source.Width, left, regionWidth, outWidth);
        var cy = Coefficients.For(source.Height, top, regionHeight, outHeight);
        int firstRow = int.MaxValue, lastRow = 0;
        for (var i = 0; i < outHeight; i++)
        {
            firstRow = Math.Min(firstRow, cy.Start[i]);
            lastRow = Math.Max(lastRow, cy.Start[i] + cy.Count[i]);
        }
        var rows = lastRow - firstRow;
        var temp = ArrayPool<float>.Shared.Rent(rows * rowLength + rowLength);
        try
        {
            fixed (byte* src0 = source.Pixels.Span)
            fixed (byte* dst0 = destination)
            fixed (float* tmp0 = temp)
            fixed (int* xStart = cx.Start, xCount = cx.Count)
            fixed (float* xWeights = cx.Weights)
            {
                // rows first: only the source rows the columns pass will read
                for (var r = 0; r < rows; r++)
                {
                    var srcRow = src0 + (long)(firstRow + r) * source.Width * 3;
                    var tmpRow = tmp0 + r * rowLength;
                    for (var x = 0; x < outWidth; x++)
                    {
                        var k = flip ? outWidth - 1 - x : x;
                        float sr = 0, sg = 0, sb = 0;
                        var p = srcRow + xStart[k] * 3;
                        var w = xWeights + k * cx.Taps;
                        for (int t = 0, n = xCount[k]; t < n; t++, p += 3)
                        {
                            sr += p[0] * w[t];
                            sg += p[1] * w[t];
                            sb += p[2] * w[t];
                        }
                        tmpRow[x * 3] = sr;
                        tmpRow[x * 3 + 1] = sg;
                        tmpRow[x * 3 + 2] = sb;
                    }
                }
                // then columns: accumulate whole weighted rows (cache-friendly, vectorisable)
                var acc = tmp0 + rows * rowLength;
                for (var y = 0; y < outHeight; y++)
                {
                    var weights = cy.Weights.AsSpan(y * cy.Taps, cy.Count[y]);
                    var baseRow = tmp0 + (cy.Start[y] - firstRow) * rowLength;
                    new Span<float>(acc, rowLength).Clear();
                    for (var t = 0; t < weights.Length; t++)
                    {
                        var w = weights[t];
                        var row = baseRow + t * rowLength;
                        for (var i = 0; i < rowLength; i++) acc[i] += row[i] * w;
                    }
                    var outRow = dst0 + y * rowLength;
                    for (var i = 0; i < rowLength; i++) outRow[i] = ToByte(acc[i]);
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
