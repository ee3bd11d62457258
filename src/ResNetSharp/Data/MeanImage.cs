namespace ResNetSharp.Data;

/// <summary>
/// The per-pixel mean of a training set (sections 3.4 and 4.2: "per-pixel mean subtracted"), in pixel
/// units (0–255), CHW. Computed with exact integer sums, so it does not depend on the thread count.
/// </summary>
public sealed class MeanImage
{
    /// <summary>Wraps per-pixel means (CHW, 3·<paramref name="height"/>·<paramref name="width"/> values, pixel units).</summary>
    public MeanImage(int height, int width, float[] values)
    {
        if (values.Length != 3 * height * width)
            throw new ArgumentException($"A {width}x{height} mean image needs {3 * height * width} values; got {values.Length}.", nameof(values));
        Height = height;
        Width = width;
        Values = values;
    }

    /// <summary>Height in pixels.</summary>
    public int Height { get; }

    /// <summary>Width in pixels.</summary>
    public int Width { get; }

    /// <summary>Mean of each channel at each pixel, CHW, in pixel units.</summary>
    public float[] Values { get; }

    /// <summary>
    /// Averages <paramref name="data"/> pixel by pixel, after <paramref name="transform"/> (deterministic, one
    /// view; e.g. <see cref="CenterCrop"/> for ImageNet) or as is when it is null (all images one size).
    /// </summary>
    public static MeanImage Compute(IImageDataset data, IImageTransform? transform = null)
    {
        if (data.Count == 0) throw new ArgumentException("Cannot average an empty data set.", nameof(data));
        var first = data.Image(0);
        transform ??= new OriginalImage(first.Height, first.Width);
        if (transform.Views != 1) throw new ArgumentException($"The mean image needs a one-view transform; this one gives {transform.Views}.", nameof(transform));
        int h = transform.Height, w = transform.Width, size = h * w * 3;
        var chunks = Math.Min(data.Count, Environment.ProcessorCount * 4);
        var partial = new long[chunks][];
        Parallel.For(0, chunks, k =>
        {
            var sums = new long[size];
            var buffer = new byte[size];
            var offsets = new float[3];
            for (var i = (int)((long)data.Count * k / chunks); i < (int)((long)data.Count * (k + 1) / chunks); i++)
            {
                var random = SampleRandom.For(0, 0, i);
                transform.Apply(data.Image(i), ref random, buffer, offsets);
                for (var j = 0; j < size; j++) sums[j] += buffer[j];
            }
            partial[k] = sums;
        });
        var values = new float[size];
        var plane = h * w;
        for (var p = 0; p < plane; p++)
            for (var c = 0; c < 3; c++)
            {
                long s = 0;
                foreach (var part in partial) s += part[p * 3 + c];
                values[c * plane + p] = (float)((double)s / data.Count);
            }
        return new MeanImage(h, w, values);
    }

    /// <summary>The mean of each channel over all pixels (R, G, B), in pixel units.</summary>
    public float[] ChannelMeans()
    {
        var plane = Height * Width;
        return [.. Enumerable.Range(0, 3).Select(c => (float)Values.AsSpan(c * plane, plane).ToArray().Average())];
    }
}
