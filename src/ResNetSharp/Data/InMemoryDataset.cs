namespace ResNetSharp.Data;

/// <summary>
/// Images decoded once and kept in memory as RGB bytes, for small data sets (CIFAR, any folder of small
/// images): reading a sample costs nothing.
/// </summary>
public sealed class InMemoryDataset : IImageDataset
{
    readonly RgbImage[] images;
    readonly int[] labels;

    /// <summary>Holds <paramref name="images"/> and their <paramref name="labels"/> (same length, labels below the class count).</summary>
    public InMemoryDataset(IReadOnlyList<RgbImage> images, IReadOnlyList<int> labels, IReadOnlyList<string> classNames)
    {
        if (images.Count != labels.Count)
            throw new ArgumentException($"{images.Count} images but {labels.Count} labels; they must pair up one to one.", nameof(labels));
        this.images = [.. images];
        this.labels = [.. labels];
        ClassNames = [.. classNames];
        for (var i = 0; i < this.labels.Length; i++)
            if ((uint)this.labels[i] >= (uint)ClassNames.Count)
                throw new ArgumentException($"Label {this.labels[i]} of sample {i} is outside the {ClassNames.Count} classes.", nameof(labels));
    }

    /// <inheritdoc />
    public int Count => images.Length;

    /// <inheritdoc />
    public IReadOnlyList<string> ClassNames { get; }

    /// <inheritdoc />
    public int Label(int index) => labels[index];

    /// <inheritdoc />
    public RgbImage Image(int index) => images[index];

    /// <summary>How many samples each class has, indexed by label.</summary>
    public int[] ClassCounts()
    {
        var counts = new int[ClassNames.Count];
        foreach (var l in labels) counts[l]++;
        return counts;
    }
}
