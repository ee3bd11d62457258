using System.Runtime.InteropServices;
using ResNetSharp.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace ResNetSharp.Data;

/// <summary>
/// Turns RGB bytes into network input: <c>x = ((pixel + offset) · Scale − Mean) / Std</c>, where
/// <see cref="Mean"/> is per channel (3 values) or per pixel (the paper's "per-pixel mean subtracted",
/// 3·H·W values in CHW order), both in input units (after <see cref="Scale"/>) and in the network's channel order
/// (<see cref="ChannelOrder"/>: channel 0 is blue for BGR). Applied once per batch, in one pass that also converts
/// HWC RGB bytes to the tensor layout.
/// </summary>
public sealed record Normalization
{
    /// <summary>Pixel → input units; 1/255 maps bytes to [0, 1].</summary>
    public float Scale { get; init; } = 1f / 255f;

    /// <summary>3 channel means, or 3·<see cref="MeanHeight"/>·<see cref="MeanWidth"/> per-pixel means (CHW).</summary>
    public IReadOnlyList<float> Mean { get; init; } = [0f, 0f, 0f];

    /// <summary>3 channel standard deviations; 1 means no division.</summary>
    public IReadOnlyList<float> Std { get; init; } = [1f, 1f, 1f];

    /// <summary>Height of a per-pixel mean; 0 for per-channel means.</summary>
    public int MeanHeight { get; init; }

    /// <summary>Width of a per-pixel mean; 0 for per-channel means.</summary>
    public int MeanWidth { get; init; }

    /// <summary>The channel order the network reads; RGB bytes are reordered to it.</summary>
    public ChannelOrder ChannelOrder { get; init; } = ChannelOrder.Rgb;

    /// <summary>Bytes scaled to [0, 1], nothing subtracted.</summary>
    public static Normalization None { get; } = new();

    /// <summary>The paper's per-pixel mean subtraction (sections 3.4 and 4.2), means from the training set.</summary>
    public static Normalization PerPixelMean(MeanImage mean, float scale = 1f / 255f) => new()
    {
        Scale = scale,
        Mean = [.. mean.Values.Select(v => v * scale)],
        MeanHeight = mean.Height,
        MeanWidth = mean.Width,
    };

    /// <summary>Per-channel mean and standard deviation, given in input units (e.g. [0, 1] with the default scale).</summary>
    public static Normalization PerChannel(IReadOnlyList<float> mean, IReadOnlyList<float> std, float scale = 1f / 255f)
    {
        if (mean.Count != 3 || std.Count != 3)
            throw new ArgumentException($"Per-channel normalisation needs 3 means and 3 standard deviations; got {mean.Count} and {std.Count}.");
        if (std.Any(s => s <= 0)) throw new ArgumentException("Standard deviations must be positive.", nameof(std));
        return new Normalization { Scale = scale, Mean = [.. mean], Std = [.. std] };
    }

    /// <summary>The same normalisation with a per-pixel mean averaged to per-channel means, for images of any size (multi-scale testing).</summary>
    public Normalization AveragedOverPixels()
    {
        if (MeanHeight == 0) return this;
        var plane = MeanHeight * MeanWidth;
        var means = new float[3];
        for (var c = 0; c < 3; c++)
        {
            double s = 0;
            for (var p = 0; p < plane; p++) s += Mean[c * plane + p];
            means[c] = (float)(s / plane);
        }
        return this with { Mean = means, MeanHeight = 0, MeanWidth = 0 };
    }

    /// <summary>
    /// Converts <paramref name="count"/> HWC byte images of <paramref name="height"/>x<paramref name="width"/> into a
    /// float32 tensor [N, 3, H, W] (channels-last strides if asked), adding <paramref name="offsets"/>
    /// (N·3 floats in pixel units, may be empty) before normalising. The caller owns the returned tensor.
    /// </summary>
    public Tensor ToTensor(ReadOnlySpan<byte> hwc, int count, int height, int width, ReadOnlySpan<float> offsets = default, bool channelsLast = false)
    {
        TorchRuntime.EnsureLoaded();
        var plane = height * width;
        if (hwc.Length != count * plane * 3)
            throw new ArgumentException($"{count} images of {width}x{height} need {count * plane * 3} bytes; got {hwc.Length}.", nameof(hwc));
        if (!offsets.IsEmpty && offsets.Length != count * 3)
            throw new ArgumentException($"Offsets must hold 3 floats per image ({count * 3}); got {offsets.Length}.", nameof(offsets));
        var bias = Bias(height, width, out var gain);

        var t = channelsLast ? empty(count, height, width, 3, ScalarType.Float32) : empty(count, 3, height, width, ScalarType.Float32);
        var output = MemoryMarshal.Cast<byte, float>(t.bytes);
        Span<float> g = [gain[0], gain[1], gain[2]];
        Span<int> from = ChannelOrder == ChannelOrder.Bgr ? [2, 1, 0] : [0, 1, 2]; // output channel c reads byte from[c]
        Span<float> sampleBias = stackalloc float[3];
        for (var n = 0; n < count; n++)
        {
            for (var c = 0; c < 3; c++) sampleBias[c] = offsets.IsEmpty ? 0 : offsets[n * 3 + from[c]] * g[c];
            var src = hwc.Slice(n * plane * 3, plane * 3);
            var dst = output.Slice(n * plane * 3, plane * 3);
            if (channelsLast)
            {
                for (var p = 0; p < plane; p++)
                    for (var c = 0; c < 3; c++)
                        dst[p * 3 + c] = src[p * 3 + from[c]] * g[c] + (bias[c * plane + p] + sampleBias[c]);
            }
            else
            {
                for (var c = 0; c < 3; c++)
                {
                    var gc = g[c];
                    var bc = bias.AsSpan(c * plane, plane);
                    var dc = dst.Slice(c * plane, plane);
                    var sb = sampleBias[c];
                    var sc = from[c];
                    for (var p = 0; p < plane; p++) dc[p] = src[p * 3 + sc] * gc + (bc[p] + sb);
                }
            }
        }
        if (!channelsLast) return t;
        var view = t.permute(0, 3, 1, 2); // NCHW shape over NHWC memory: channels-last strides
        t.Dispose();
        return view;
    }

    /// <summary>−Mean/Std for every (channel, pixel), CHW, and Scale/Std per channel.</summary>
    float[] Bias(int height, int width, out float[] gain)
    {
        if (Std.Count != 3) throw new InvalidOperationException($"Normalisation needs 3 standard deviations; got {Std.Count}.");
        var plane = height * width;
        var perPixel = MeanHeight != 0;
        if (perPixel && (MeanHeight != height || MeanWidth != width))
            throw new InvalidOperationException(
                $"The per-pixel mean is {MeanWidth}x{MeanHeight} but the images are {width}x{height}. Compute the mean image with the same " +
                $"evaluation transform, or use {nameof(AveragedOverPixels)}() / {nameof(PerChannel)} for images of other sizes.");
        if (!perPixel && Mean.Count != 3)
            throw new InvalidOperationException($"A per-channel mean needs 3 values; got {Mean.Count}. Set {nameof(MeanHeight)}/{nameof(MeanWidth)} for a per-pixel mean.");
        gain = new float[3];
        var bias = new float[3 * plane];
        for (var c = 0; c < 3; c++)
        {
            gain[c] = Scale / Std[c];
            for (var p = 0; p < plane; p++) bias[c * plane + p] = -(perPixel ? Mean[c * plane + p] : Mean[c]) / Std[c];
        }
        return bias;
    }
}
