namespace ResNetSharp.Data;

/// <summary>
/// The deterministic train/validation split of section 4.2 (45k/5k of the CIFAR-10 training set, used
/// to choose the schedule): a seeded permutation of the indices, the first <c>Count − validation</c>
/// for training. The same seed gives the same split on every machine.
/// </summary>
public static class TrainValSplit
{
    /// <summary>The paper's validation size on CIFAR-10.</summary>
    public const int CifarValidationSize = 5000;

    /// <summary>Splits <paramref name="data"/> into a training part and a validation part of <paramref name="validationSize"/> samples.</summary>
    public static (Subset Train, Subset Validation) Split(IImageDataset data, int validationSize = CifarValidationSize, int seed = 0)
    {
        if (validationSize < 0 || validationSize >= data.Count)
            throw new ArgumentOutOfRangeException(nameof(validationSize), validationSize,
                $"The validation part must hold between 0 and {data.Count - 1} of the {data.Count} samples.");
        var order = Permutation(data.Count, seed);
        var train = order[..(data.Count - validationSize)];
        var validation = order[(data.Count - validationSize)..];
        Array.Sort(train); // keep the original order inside each part: only membership depends on the seed
        Array.Sort(validation);
        return (new Subset(data, train), new Subset(data, validation));
    }

    /// <summary>A seeded Fisher–Yates permutation of 0..<paramref name="count"/>−1.</summary>
    internal static int[] Permutation(int count, int seed, int epoch = -1)
    {
        var order = new int[count];
        for (var i = 0; i < count; i++) order[i] = i;
        var random = SampleRandom.For(seed, epoch, -1);
        for (var i = count - 1; i > 0; i--)
        {
            var j = random.Next(i + 1);
            (order[i], order[j]) = (order[j], order[i]);
        }
        return order;
    }
}

/// <summary>A view of some samples of another data set, by index.</summary>
public sealed class Subset(IImageDataset source, IReadOnlyList<int> indices) : IImageDataset
{
    readonly int[] map = [.. indices];

    /// <summary>The indices into the source data set, in order.</summary>
    public IReadOnlyList<int> Indices => map;

    /// <inheritdoc />
    public int Count => map.Length;

    /// <inheritdoc />
    public IReadOnlyList<string> ClassNames => source.ClassNames;

    /// <inheritdoc />
    public int Label(int index) => source.Label(map[index]);

    /// <inheritdoc />
    public RgbImage Image(int index) => source.Image(map[index]);
}
