namespace ResNetSharp.Data;

/// <summary>
/// Single-view evaluation: resize the shorter side to <see cref="ResizeShorterSide"/> (null keeps the
/// size), then take the centred <see cref="CropSize"/> square; e.g. 256 then 224 on ImageNet.
/// </summary>
public sealed record CenterCrop(int CropSize = 224, int? ResizeShorterSide = 256) : IImageTransform
{
    /// <inheritdoc />
    public int Height => CropSize;

    /// <inheritdoc />
    public int Width => CropSize;

    /// <inheritdoc />
    public void Apply(RgbImage source, ref SampleRandom random, Span<byte> destination, Span<float> offsets)
    {
        var (rw, rh) = ResizeShorterSide is { } s ? ImageResize.ShorterSideSize(source.Width, source.Height, s) : (source.Width, source.Height);
        var (left, top) = TenCrop.CropOffsets(rw, rh, CropSize)[TenCrop.Centre];
        TenCrop.CropResized(source, rw, rh, left, top, CropSize, false, destination);
    }
}
