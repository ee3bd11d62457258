namespace ResNetSharp.Data;

/// <summary>
/// 10-crop testing (section 3.4, "standard 10-crop testing"): resize the shorter side to 256, take the
/// four corner 224x224 crops and the centre crop, then the same five mirrored left–right. View order:
/// top-left, top-right, bottom-left, bottom-right, centre, then their flips in the same order.
/// The loader's image tensor holds <c>10 · N</c> views, sample-major; average the 10 scores per sample.
/// </summary>
public sealed record TenCrop(int CropSize = 224, int ResizeShorterSide = 256) : IImageTransform
{
    /// <summary>Index of the centre crop in <see cref="CropOffsets"/>.</summary>
    public const int Centre = 4;

    /// <inheritdoc />
    public int Height => CropSize;

    /// <inheritdoc />
    public int Width => CropSize;

    /// <inheritdoc />
    public int Views => 10;

    /// <summary>
    /// Top-left corners of the five crops of a <paramref name="width"/>x<paramref name="height"/> image:
    /// four corners, then the centre at <c>round((side − crop) / 2)</c>, rounded half to even as torchvision's
    /// <c>CenterCrop</c> does with Python's <c>round</c>.
    /// </summary>
    public static (int Left, int Top)[] CropOffsets(int width, int height, int crop)
    {
        if (crop > width || crop > height)
            throw new InvalidDataException($"A {crop}x{crop} crop does not fit a {width}x{height} image; resize it to a shorter side of at least {crop}.");
        int right = width - crop, bottom = height - crop;
        return [(0, 0), (right, 0), (0, bottom), (right, bottom), ((int)Math.Round(right / 2.0, MidpointRounding.ToEven), (int)Math.Round(bottom / 2.0, MidpointRounding.ToEven))];
    }

    /// <inheritdoc />
    public void Apply(RgbImage source, ref SampleRandom random, Span<byte> destination, Span<float> offsets)
    {
        var (rw, rh) = ImageResize.ShorterSideSize(source.Width, source.Height, ResizeShorterSide);
        var corners = CropOffsets(rw, rh, CropSize);
        var view = CropSize * CropSize * 3;
        for (var v = 0; v < 10; v++)
        {
            var (left, top) = corners[v % 5];
            CropResized(source, rw, rh, left, top, CropSize, v >= 5, destination.Slice(v * view, view));
        }
    }

    /// <summary>The crop at (<paramref name="left"/>, <paramref name="top"/>) of the source resized to <paramref name="resizedWidth"/>x<paramref name="resizedHeight"/>.</summary>
    internal static void CropResized(RgbImage source, int resizedWidth, int resizedHeight, int left, int top, int crop, bool flip, Span<byte> destination)
    {
        double fx = (double)source.Width / resizedWidth, fy = (double)source.Height / resizedHeight;
        ImageResize.ResizeRegion(source, left * fx, top * fy, crop * fx, crop * fy, crop, crop, flip, destination);
    }
}
