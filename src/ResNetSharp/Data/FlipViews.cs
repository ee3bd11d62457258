namespace ResNetSharp.Data;

/// <summary>
/// Flip-averaged testing (not the paper's CIFAR protocol, which is the single original view): every view of
/// <paramref name="Inner"/> followed by its left–right mirror, so the loader holds <c>2 · Inner.Views</c> views per
/// sample and the evaluator averages their class scores. Named as its own protocol wherever it is reported.
/// </summary>
public sealed record FlipViews(IImageTransform Inner) : IImageTransform
{
    /// <inheritdoc />
    public int Height => Inner.Height;

    /// <inheritdoc />
    public int Width => Inner.Width;

    /// <inheritdoc />
    public int Views => 2 * Inner.Views;

    /// <inheritdoc />
    public void Apply(RgbImage source, ref SampleRandom random, Span<byte> destination, Span<float> offsets)
    {
        var half = Inner.Views * Height * Width * 3;
        Inner.Apply(source, ref random, destination[..half], offsets[..(Inner.Views * 3)]);
        offsets[..(Inner.Views * 3)].CopyTo(offsets[(Inner.Views * 3)..]);
        var row = Width * 3;
        for (var v = 0; v < Inner.Views; v++)
        {
            var view = v * Height * row;
            for (var y = 0; y < Height; y++)
            {
                var from = destination.Slice(view + y * row, row);
                var to = destination.Slice(half + view + y * row, row);
                for (var x = 0; x < Width; x++)
                    from.Slice((Width - 1 - x) * 3, 3).CopyTo(to.Slice(x * 3, 3));
            }
        }
    }
}
