namespace ResNetSharp.Data;

/// <summary>
/// A labelled image collection addressed by index. Implementations must be safe to read from several
/// threads at once: the <see cref="DataLoader"/> calls <see cref="Image"/> from its workers.
/// </summary>
public interface IImageDataset
{
    /// <summary>Number of samples.</summary>
    int Count { get; }

    /// <summary>Class names; label <c>k</c> is <c>ClassNames[k]</c>.</summary>
    IReadOnlyList<string> ClassNames { get; }

    /// <summary>The label of sample <paramref name="index"/>.</summary>
    int Label(int index);

    /// <summary>The pixels of sample <paramref name="index"/>; decoded on demand or returned from memory.</summary>
    RgbImage Image(int index);
}
