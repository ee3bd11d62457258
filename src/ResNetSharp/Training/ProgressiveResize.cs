using ResNetSharp.Data;
using ResNetSharp.Models;
using static TorchSharp.torch;

namespace ResNetSharp.Training;

/// <summary>One phase of progressive resizing: train on images downscaled to <paramref name="Side"/> pixels until this fraction of the iterations.</summary>
/// <param name="Side">Side of the (square) training input during the phase.</param>
/// <param name="Until">Fraction of the run's iterations at which the phase ends, in (0, 1).</param>
public sealed record ResizePhase(int Side, double Until);

/// <summary>
/// Progressive resizing (not in the paper; fast.ai's and FFCV's speed-up): early iterations see the augmented batch
/// downscaled to a smaller side (or a smaller window of it), later ones the full crop. The networks are fully convolutional
/// up to the global average pool, so the same weights take every size; a convolution's cost falls with the pixel count,
/// so early epochs are cheaper. The last phase is always the full crop, and evaluation always is.
/// </summary>
public static class ProgressiveResize
{
    /// <summary>The input side at <paramref name="iteration"/> of <paramref name="iterations"/>; null means the full crop.</summary>
    public static int? SideAt(IReadOnlyList<ResizePhase> phases, long iteration, int iterations)
    {
        foreach (var phase in phases)
            if (iteration < phase.Until * iterations) return phase.Side;
        return null;
    }

    /// <summary>
    /// Shrinks a batch (N, C, H, W) to <paramref name="side"/> when that is smaller than it, keeping the memory format
    /// (channels-last stays channels-last). <see cref="ProgressiveMode.Resize"/> downscales the whole image (bilinear, antialiased);
    /// <see cref="ProgressiveMode.Crop"/> cuts a side x side window at an offset drawn from (<paramref name="seed"/>, <paramref name="iteration"/>),
    /// so objects keep the size they have at test time and a resumed run draws the same windows.
    /// </summary>
    public static Tensor Apply(Tensor images, int? side, MemoryFormat format, ProgressiveMode mode = ProgressiveMode.Resize, int seed = 0, long iteration = 0)
    {
        if (side is not { } s || (s >= images.shape[2] && s >= images.shape[3])) return images;
        Tensor small;
        if (mode == ProgressiveMode.Crop)
        {
            var random = SampleRandom.For(seed, 0, iteration);
            int top = random.Next((int)images.shape[2] - s + 1), left = random.Next((int)images.shape[3] - s + 1);
            small = images.narrow(2, top, s).narrow(3, left, s);
        }
        else
        {
            small = nn.functional.interpolate(images, size: [s, s], mode: InterpolationMode.Bilinear, align_corners: false, antialias: true);
        }
        return format == MemoryFormat.ChannelsLast ? ChannelsLast.Of(small) : small.contiguous();
    }

    /// <summary>Reads "16:0.35,24:0.7" (side:until, in order) as phases; an empty text means none.</summary>
    public static IReadOnlyList<ResizePhase> Parse(string text)
    {
        var phases = new List<ResizePhase>();
        foreach (var part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var pieces = part.Split(':');
            if (pieces.Length != 2
                || !int.TryParse(pieces[0], System.Globalization.CultureInfo.InvariantCulture, out var side)
                || !double.TryParse(pieces[1], System.Globalization.CultureInfo.InvariantCulture, out var until))
                throw new ArgumentException($"'{part}' is not a resize phase: write side:until, e.g. 16:0.35,24:0.7 (side 16 for the first 35% of iterations, 24 until 70%, then the full crop).");
            phases.Add(new ResizePhase(side, until));
        }
        return Validate(phases);
    }

    /// <summary>Throws <see cref="ArgumentException"/> unless sides are at least 8 and the ends rise strictly inside (0, 1).</summary>
    public static IReadOnlyList<ResizePhase> Validate(IReadOnlyList<ResizePhase> phases)
    {
        var previous = 0.0;
        foreach (var (side, until) in phases)
        {
            if (side < 8) throw new ArgumentException($"A progressive-resize side must be at least 8 pixels (got {side}).");
            if (until <= previous || until >= 1)
                throw new ArgumentException($"Progressive-resize phases must end at rising fractions inside (0, 1) (got {until} after {previous}); the rest of the run uses the full crop.");
            previous = until;
        }
        return phases;
    }
}
