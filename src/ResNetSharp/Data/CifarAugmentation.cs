namespace ResNetSharp.Data;

/// <summary>
/// The CIFAR training augmentation of section 4.2: pad 4 pixels of zeros on each side, take a random
/// 32x32 crop of the padded image, flip it horizontally with probability ½. Works on bytes, no allocation.
/// </summary>
public sealed record CifarAugmentation : IImageTransform
{
    /// <summary>Zero padding on each side, in pixels.</summary>
    public int Padding { get; init; } = 4;

    /// <summary>Side of the square crop (also the output size).</summary>
    public int CropSize { get; init; } = 32;

    /// <summary>Whether to flip horizontally with probability ½.</summary>
    public bool Flip { get; init; } = true;

    /// <inheritdoc />
    public int Height => CropSize;

    /// <inheritdoc />
    public int Width => CropSize;

    /// <summary>Draws the crop's top-left corner in padded coordinates and the flip, in that order.</summary>
    public (int Left, int Top, bool Flip) Sample(RgbImage source, ref SampleRandom random)
    {
        var rangeX = source.Width + 2 * Padding - CropSize + 1;
        var rangeY = source.Height + 2 * Padding - CropSize + 1;
        if (rangeX < 1 || rangeY < 1)
            throw new InvalidDataException(
                $"A {source.Width}x{source.Height} image padded by {Padding} is smaller than the {CropSize}x{CropSize} crop.");
        var left = random.Next(rangeX);
        var top = random.Next(rangeY);
        return (left, top, Flip && random.NextBool());
    }

    /// <inheritdoc />
    public void Apply(RgbImage source, ref SampleRandom random, Span<byte> destination, Span<float> offsets)
    {
        var (left, top, flip) = Sample(source, ref random);
        PadCropFlip(source, Padding, CropSize, left, top, flip, destination);
    }

    /// <summary>
    /// Writes the <paramref name="size"/>x<paramref name="size"/> crop whose top-left corner is at
    /// (<paramref name="left"/>, <paramref name="top"/>) of the image zero-padded by <paramref name="padding"/>,
    /// mirrored left–right when <paramref name="flip"/> is set.
    /// </summary>
    public static void PadCropFlip(RgbImage source, int padding, int size, int left, int top, bool flip, Span<byte> destination)
    {
        var src = source.Pixels.Span;
        var row = size * 3;
        destination = destination[..(row * size)];
        for (var y = 0; y < size; y++)
        {
            var outRow = destination.Slice(y * row, row);
            var sy = y + top - padding;
            if ((uint)sy >= (uint)source.Height)
            {
                outRow.Clear();
                continue;
            }
            // columns x of the crop read source column sx = x + left - padding; outside is padding
            var x0 = Math.Max(0, padding - left);
            var x1 = Math.Min(size, source.Width + padding - left);
            if (x1 <= x0)
            {
                outRow.Clear();
                continue;
            }
            var srcRow = src.Slice((sy * source.Width + x0 + left - padding) * 3, (x1 - x0) * 3);
            if (!flip)
            {
                outRow[..(x0 * 3)].Clear();
                srcRow.CopyTo(outRow[(x0 * 3)..]);
                outRow[(x1 * 3)..].Clear();
            }
            else
            {
                // crop column x lands at size-1-x
                outRow[((size - x0) * 3)..].Clear();
                outRow[..((size - x1) * 3)].Clear();
                for (var x = x0; x < x1; x++)
                {
                    var s = (x - x0) * 3;
                    var d = (size - 1 - x) * 3;
                    outRow[d] = srcRow[s];
                    outRow[d + 1] = srcRow[s + 1];
                    outRow[d + 2] = srcRow[s + 2];
                }
            }
        }
    }
}
