namespace ResNetSharp.Data;

/// <summary>How <see cref="ImageNetAugmentation"/> chooses the region it crops.</summary>
public enum CropMode
{
    /// <summary>The paper's scale augmentation (section 3.4): shorter side resized to a random S in [256, 480], random 224 crop.</summary>
    ScaleAugmentation,

    /// <summary>The later "Inception" crop: random area fraction and aspect ratio, resized to 224 (a common option, not the paper's).</summary>
    RandomResizedCrop,
}

/// <summary>
/// The ImageNet training augmentation of section 3.4: shorter side resized at random in [256, 480], a
/// random 224x224 crop or its horizontal flip, and PCA lighting. Only the cropped region is resampled.
/// </summary>
public sealed record ImageNetAugmentation : IImageTransform
{
    /// <summary>Side of the square output crop.</summary>
    public int CropSize { get; init; } = 224;

    /// <summary>Smallest shorter side S of the scale augmentation.</summary>
    public int MinShorterSide { get; init; } = 256;

    /// <summary>Largest shorter side S of the scale augmentation (inclusive).</summary>
    public int MaxShorterSide { get; init; } = 480;

    /// <summary>How the crop region is chosen.</summary>
    public CropMode Mode { get; init; } = CropMode.ScaleAugmentation;

    /// <summary>Area fraction range of <see cref="CropMode.RandomResizedCrop"/>.</summary>
    public (double Min, double Max) Area { get; init; } = (0.08, 1.0);

    /// <summary>Aspect-ratio (width / height) range of <see cref="CropMode.RandomResizedCrop"/>.</summary>
    public (double Min, double Max) AspectRatio { get; init; } = (3.0 / 4.0, 4.0 / 3.0);

    /// <summary>Whether to flip horizontally with probability ½.</summary>
    public bool Flip { get; init; } = true;

    /// <summary>Colour augmentation; null for none.</summary>
    public PcaLighting? Lighting { get; init; } = new();

    /// <inheritdoc />
    public int Height => CropSize;

    /// <inheritdoc />
    public int Width => CropSize;

    /// <summary>
    /// Draws the source region to crop (in source pixels) and the flip. For scale augmentation the
    /// region is the random <see cref="CropSize"/> crop of the image resized to shorter side S.
    /// </summary>
    public (double Left, double Top, double Width, double Height, bool Flip) SampleRegion(int width, int height, ref SampleRandom random)
    {
        double left, top, w, h;
        if (Mode == CropMode.ScaleAugmentation)
        {
            if (MinShorterSide < CropSize || MaxShorterSide < MinShorterSide)
                throw new InvalidOperationException(
                    $"Scale augmentation needs {CropSize} <= {nameof(MinShorterSide)} <= {nameof(MaxShorterSide)}; got [{MinShorterSide}, {MaxShorterSide}].");
            var s = random.NextInclusive(MinShorterSide, MaxShorterSide);
            var (rw, rh) = ImageResize.ShorterSideSize(width, height, s);
            var x0 = random.Next(rw - CropSize + 1);
            var y0 = random.Next(rh - CropSize + 1);
            double fx = (double)width / rw, fy = (double)height / rh;
            (left, top, w, h) = (x0 * fx, y0 * fy, CropSize * fx, CropSize * fy);
        }
        else
        {
            (left, top, w, h) = RandomAreaAndRatio(width, height, ref random);
        }
        return (left, top, w, h, Flip && random.NextBool());
    }

    /// <inheritdoc />
    public void Apply(RgbImage source, ref SampleRandom random, Span<byte> destination, Span<float> offsets)
    {
        var (left, top, w, h, flip) = SampleRegion(source.Width, source.Height, ref random);
        ImageResize.ResizeRegion(source, left, top, w, h, CropSize, CropSize, flip, destination);
        Lighting?.AddTo(ref random, offsets);
    }

    (double, double, double, double) RandomAreaAndRatio(int width, int height, ref SampleRandom random)
    {
        var area = (double)width * height;
        double logMin = Math.Log(AspectRatio.Min), logMax = Math.Log(AspectRatio.Max);
        for (var attempt = 0; attempt < 10; attempt++)
        {
            var target = area * random.NextDouble(Area.Min, Area.Max);
            var ratio = Math.Exp(random.NextDouble(logMin, logMax));
            var cw = (int)Math.Round(Math.Sqrt(target * ratio));
            var ch = (int)Math.Round(Math.Sqrt(target / ratio));
            if (cw < 1 || ch < 1 || cw > width || ch > height) continue;
            return (random.Next(width - cw + 1), random.Next(height - ch + 1), cw, ch);
        }
        // fall back to the largest centred region whose aspect ratio lies in the range
        var r = (double)width / height;
        int fw = width, fh = height;
        if (r < AspectRatio.Min) fh = (int)Math.Round(width / AspectRatio.Min);
        else if (r > AspectRatio.Max) fw = (int)Math.Round(height * AspectRatio.Max);
        return ((width - fw) / 2, (height - fh) / 2, fw, fh);
    }
}
