using System.Security.Cryptography;
using System.Text;
using ResNetSharp.Data;

namespace ResNetSharp.Training;

/// <summary>The data a run trains and evaluates on, with the transforms and normalisation its recipe asks for.</summary>
public sealed record TrainingData(
    IImageDataset Train,
    IImageDataset Test,
    IImageTransform TrainTransform,
    IImageTransform TestTransform,
    Normalization Normalization,
    string Description,
    bool IsEmbeddedSample = false)
{
    /// <summary>Class names in label order.</summary>
    public IReadOnlyList<string> ClassNames => Train.ClassNames;

    /// <summary>The description's source part, when its counts are of listed files rather than decoded images.</summary>
    string? ListedSource { get; init; }

    /// <summary>This data with the description counting the images actually decoded (this decodes the training set).</summary>
    public TrainingData WithDecodedCounts() =>
        ListedSource is null ? this : this with { Description = $"{ListedSource}, {Train.Count:N0} train / {Test.Count:N0} test images", ListedSource = null };

    /// <summary>Training images that could not be read and were left out (ImageFolder data; empty otherwise).</summary>
    public IReadOnlyList<ImageFailure> SkippedTrainImages() => Train switch
    {
        DecodedOnFirstUse d => d.Failures,
        ImageFolder f => f.Failures,
        _ => [],
    };

    /// <summary>
    /// Opens what <see cref="TrainingConfig.Data"/> names: "cifar10"/"cifar100" (official binaries under
    /// DataDir or the cache, downloaded when online), an ImageFolder root with train/ and test/ (or val/),
    /// or a .tar.gz of such a root (unpacked once into the cache). <paramref name="normalization"/> reuses
    /// a saved normalisation (resume, evaluation) instead of computing it from the training set.
    /// </summary>
    public static TrainingData Open(TrainingConfig config, Normalization? normalization = null, Action<string>? note = null)
    {
        var (train, test, source) = OpenSets(config, note);
        var isSample = source.StartsWith(SampleSource, StringComparison.Ordinal);
        var description = source;
        if (config.Validation)
        {
            var (kept, heldOut) = TrainValSplit.Split(train, seed: config.Seed);
            description += $", {kept.Count:N0}/{heldOut.Count:N0} train/validation split (seed {config.Seed}), evaluated on validation";
            (train, test) = (kept, heldOut);
        }
        string? listed = null;
        if (!config.Validation)
        {
            listed = description;
            // counting a folder that is decoded on first use must not decode it (evaluation never reads the training set)
            var trainCount = train is DecodedOnFirstUse { IsDecoded: false } deferred ? deferred.Listed : train.Count;
            description += $", {trainCount:N0} train / {test.Count:N0} test images";
        }
        var (trainTransform, testTransform) = Transforms(config, test);
        normalization ??= config.Normalization == NormalizationKind.PerChannel ? PerChannel(train, testTransform) : Normalization.PerPixelMean(MeanImage.Compute(train, testTransform));
        return new TrainingData(train, test, trainTransform, testTransform, normalization, description, isSample) { ListedSource = listed };
    }

    const string SampleSource = "embedded CIFAR-10 sample";

    static (IImageDataset Train, IImageDataset Test, string Source) OpenSets(TrainingConfig config, Action<string>? note)
    {
        var name = config.Data.Trim();
        if (name.Equals("cifar10", StringComparison.OrdinalIgnoreCase) || name.Equals("cifar100", StringComparison.OrdinalIgnoreCase))
        {
            var kind = name.Equals("cifar10", StringComparison.OrdinalIgnoreCase) ? CifarKind.Cifar10 : CifarKind.Cifar100;
            // a folder the user named must exist: falling back to the embedded sample would hide the typo
            if (config.DataDir is { Length: > 0 } dataDir && !Directory.Exists(dataDir))
                throw new DirectoryNotFoundException($"--data-dir '{dataDir}' was not found. Give the folder holding the CIFAR binaries " +
                                                     "(cifar-10-batches-bin/ or its files), or leave --data-dir out to use the cache (and the embedded sample when offline).");
            var options = new CifarOptions { DataDirectory = config.DataDir };
            try
            {
                return (CifarBinary.Load(kind, train: true, options), CifarBinary.Load(kind, train: false, options), $"{name} (official binaries)");
            }
            catch (Exception e) when (kind == CifarKind.Cifar10 && e is FileNotFoundException or DirectoryNotFoundException or IOException or HttpRequestException or InvalidDataException)
            {
                var sample = EmbeddedSample.Unpack();
                note?.Invoke($"CIFAR-10 is not available here ({e.Message.Split('\n')[0]}). Training on the small real CIFAR-10 sample embedded in ResNetSharp " +
                             $"({sample}) instead: a short demonstration, not the paper's experiment. Pass --data-dir with the CIFAR-10 binaries, " +
                             "or --data with an ImageFolder (or .tar.gz of one), for real runs.");
                return OpenFolder(sample, SampleSource);
            }
        }
        if (File.Exists(name) && (name.EndsWith(".tar.gz", StringComparison.OrdinalIgnoreCase) || name.EndsWith(".tgz", StringComparison.OrdinalIgnoreCase)))
            return OpenFolder(ArchiveCache.Unpack(name), $"ImageFolder archive {Path.GetFileName(name)}");
        if (Directory.Exists(name)) return OpenFolder(name, $"ImageFolder {name}");
        if (!File.Exists(name))
            throw new DirectoryNotFoundException($"Data '{name}' was not found: no such folder or file. Check the path; --data takes cifar10, cifar100, " +
                                                 "an ImageFolder root (train/ and test/ or val/ inside, one sub-folder per class) or a .tar.gz of one.");
        throw new DirectoryNotFoundException(
            $"Data '{name}' is neither cifar10/cifar100, an ImageFolder folder, nor a .tar.gz of one. " +
            "Pass --data cifar10 (with --data-dir), --data /path/to/imagenet (with train/ and val/ inside), or --data archive.tar.gz.");
    }

    static (IImageDataset, IImageDataset, string) OpenFolder(string root, string source)
    {
        // An archive may hold one top folder around train/ and test/.
        if (!Directory.Exists(Path.Combine(root, "train")) && Directory.GetDirectories(root) is [var only]) root = only;
        var train = Path.Combine(root, "train");
        var test = new[] { "test", "val", "validation" }.Select(d => Path.Combine(root, d)).FirstOrDefault(Directory.Exists);
        if (!Directory.Exists(train) || test is null)
            throw new DirectoryNotFoundException($"'{root}' needs a train/ folder and a test/ (or val/) folder, each with one sub-folder per class.");
        return (Load(train), Load(test), $"{source} ({root})");
    }

    // Small images (CIFAR-sized) are decoded into memory on first use; large ones are decoded per batch.
    static IImageDataset Load(string folder)
    {
        var folderSet = ImageFolder.Open(folder);
        var first = folderSet.Image(0);
        return first.Width * first.Height <= 96 * 96 ? new DecodedOnFirstUse(folderSet) : folderSet;
    }

    /// <summary>
    /// An ImageFolder of small images decoded into memory the first time an image or the count is needed. The
    /// last two folders decoded (a data set's train and test) stay cached in the process while their files are
    /// unchanged, so a reproduction that trains nine networks on CIFAR-10 decodes its 60,000 JPEGs once.
    /// </summary>
    sealed class DecodedOnFirstUse(ImageFolder folder) : IImageDataset
    {
        static readonly List<(string Key, InMemoryDataset Data, IReadOnlyList<ImageFailure> Failures)> Recent = [];
        readonly Lazy<(InMemoryDataset Data, IReadOnlyList<ImageFailure> Failures)> decoded = new(() => Decode(folder), LazyThreadSafetyMode.ExecutionAndPublication);

        public bool IsDecoded => decoded.IsValueCreated;

        /// <summary>Images listed in the folder (damaged ones are left out when decoding).</summary>
        public int Listed => folder.Count;

        public int Count => decoded.Value.Data.Count;

        /// <summary>Files left out when decoding (decodes the folder if it was not yet).</summary>
        public IReadOnlyList<ImageFailure> Failures => decoded.Value.Failures;

        public IReadOnlyList<string> ClassNames => folder.ClassNames;

        public int Label(int index) => decoded.Value.Data.Label(index);

        public RgbImage Image(int index) => decoded.Value.Data.Image(index);

        static (InMemoryDataset, IReadOnlyList<ImageFailure>) Decode(ImageFolder folder)
        {
            // the files' names, sizes and times identify the folder's contents
            var key = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(string.Join("\n",
                folder.Files.Select(f => new FileInfo(f)).Select(f => $"{f.FullName}|{f.Length}|{f.LastWriteTimeUtc.Ticks}")))));
            lock (Recent)
            {
                if (Recent.FirstOrDefault(r => r.Key == key) is { Data: { } cached } hit) return (cached, hit.Failures);
            }
            var data = folder.Load();
            lock (Recent)
            {
                Recent.Add((key, data, folder.Failures));
                if (Recent.Count > 2) Recent.RemoveAt(0);
            }
            return (data, folder.Failures);
        }
    }

    static (IImageTransform Train, IImageTransform Test) Transforms(TrainingConfig config, IImageDataset testSet)
    {
        var sample = testSet.Image(0);
        var crop = config.CropSize ?? (config.Augmentation is AugmentationKind.ImageNet or AugmentationKind.ImageNetRandomResizedCrop ? 224 : Math.Min(sample.Width, sample.Height));
        // Test views follow the paper: CIFAR tests on the original image (its centre crop when --crop is
        // smaller); ImageNet on a centre crop of the image resized to shorter side 256 (scaled with the crop).
        IImageTransform test = config.TestResize is { } resize ? new CenterCrop(crop, resize)
            : config.Augmentation is AugmentationKind.Cifar or AugmentationKind.None
            ? (crop == sample.Width && crop == sample.Height ? new OriginalImage(crop, crop) : new CenterCrop(crop, ResizeShorterSide: null))
            : new CenterCrop(crop, TestView.PaperShorterSide(crop));
        IImageTransform augment = config.Augmentation switch
        {
            AugmentationKind.Cifar => new CifarAugmentation { CropSize = crop },
            AugmentationKind.ImageNet => new ImageNetAugmentation { CropSize = crop, MinShorterSide = crop * 256 / 224, MaxShorterSide = crop * 480 / 224 },
            AugmentationKind.ImageNetRandomResizedCrop => new ImageNetAugmentation { CropSize = crop, Mode = CropMode.RandomResizedCrop, Lighting = null },
            _ => test,
        };
        return (augment, test);
    }

    static Normalization PerChannel(IImageDataset train, IImageTransform view)
    {
        var mean = MeanImage.Compute(train, view).ChannelMeans();
        var sums = new double[3];
        var buffer = new byte[view.Height * view.Width * 3];
        var offsets = new float[3];
        var samples = Math.Min(train.Count, 10_000);
        for (var i = 0; i < samples; i++)
        {
            var random = SampleRandom.For(0, 0, i);
            view.Apply(train.Image(i * (train.Count / samples)), ref random, buffer, offsets);
            for (var j = 0; j < buffer.Length; j++)
            {
                var d = buffer[j] - mean[j % 3];
                sums[j % 3] += d * d;
            }
        }
        var pixels = (double)samples * view.Height * view.Width;
        return Normalization.PerChannel(
            [.. mean.Select(m => m / 255f)],
            [.. sums.Select(s => (float)Math.Sqrt(s / pixels) / 255f)]);
    }
}
