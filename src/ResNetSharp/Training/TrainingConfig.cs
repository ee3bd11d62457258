using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using ResNetSharp.Models;
using ResNetSharp.Runtime;

namespace ResNetSharp.Training;

/// <summary>
/// Everything that defines a training run. Recipes (<see cref="Recipes"/>) are values of it; a JSON file
/// and command-line flags override fields one by one. The resolved value is written into the run
/// folder and every checkpoint. Learning rates are per mini-batch of <see cref="BatchSize"/> images.
/// </summary>
public sealed record TrainingConfig
{
    /// <summary>The recipe this configuration started from.</summary>
    public string Recipe { get; init; } = "paper-cifar";

    /// <summary>Network name (see <c>ModelZoo</c>).</summary>
    public string Model { get; init; } = "resnet20";

    /// <summary>Classifier outputs; null takes the number of classes of the data.</summary>
    public int? Classes { get; init; }

    /// <summary>"cifar10", "cifar100", an ImageFolder root with train/ and test/ (or val/) folders, or a .tar.gz of one.</summary>
    public string Data { get; init; } = "cifar10";

    /// <summary>Where CIFAR binaries are (or go); null means the cache folder.</summary>
    public string? DataDir { get; init; }

    /// <summary>Hold out 5k training images (paper 4.2: 45k/5k) and evaluate on them instead of the test set.</summary>
    public bool Validation { get; init; }

    /// <summary>"cifar" (pad 4, crop 32, flip), "imagenet" (scale [256,480], crop 224, flip, PCA lighting), "imagenet-rrc" or "none".</summary>
    public AugmentationKind Augmentation { get; init; } = AugmentationKind.Cifar;

    /// <summary>
    /// Side of the training crop and of the single test view; null keeps the augmentation's own (32 CIFAR, 224 ImageNet).
    /// A smaller side (e.g. 64) makes the ImageNet protocol affordable on a CPU: the test view is then the centre crop of
    /// the image resized to shorter side CropSize·256/224, and the scale augmentation range shrinks by the same factor.
    /// </summary>
    public int? CropSize { get; init; }

    /// <summary>
    /// Shorter side the test view resizes an image to before its centre crop; null follows the augmentation (none for
    /// cifar/none, CropSize·256/224 for imagenet). Imported models record their own (e.g. 256 for torchvision's, 224 for ML.NET's).
    /// </summary>
    public int? TestResize { get; init; }

    /// <summary>True when the checkpoint's classifier holds no trained weights (an imported feature extractor): predict refuses it, features works.</summary>
    public bool UntrainedClassifier { get; init; }

    /// <summary>
    /// Progressive resizing (not in the paper): train on batches downscaled to each phase's side until its fraction of
    /// the iterations, then on the full crop. Empty (the default) trains at full size throughout.
    /// </summary>
    public IReadOnlyList<ResizePhase> ProgressiveResize { get; init; } = [];

    /// <summary>How progressive resizing shrinks a batch: "resize" (downscale the whole image) or "crop" (a window at the original scale).</summary>
    public ProgressiveMode ProgressiveMode { get; init; } = ProgressiveMode.Resize;

    /// <summary>"per-pixel-mean" (the paper) or "per-channel" (mean/std of the training set).</summary>
    public NormalizationKind Normalization { get; init; } = NormalizationKind.PerPixelMean;

    /// <summary>Images per mini-batch.</summary>
    public int BatchSize { get; init; } = 128;

    /// <summary>Peak learning rate per mini-batch.</summary>
    public double LearningRate { get; init; } = 0.1;

    /// <summary>SGD momentum.</summary>
    public double Momentum { get; init; } = 0.9;

    /// <summary>L2 weight decay.</summary>
    public double WeightDecay { get; init; } = 1e-4;

    /// <summary>Nesterov momentum.</summary>
    public bool Nesterov { get; init; }

    /// <summary>Apply weight decay to BN scales/shifts and biases too (the paper does).</summary>
    public bool DecayNormAndBias { get; init; } = true;

    /// <summary>Label smoothing of the cross-entropy (0 = none, as the paper).</summary>
    public double LabelSmoothing { get; init; }

    /// <summary>Learning-rate schedule shape.</summary>
    public ScheduleKind Schedule { get; init; } = ScheduleKind.Step;

    /// <summary>When set, the run lasts this many epochs of its data (iterations, milestones and warm-up scaled to it).</summary>
    public double? Epochs { get; init; }

    /// <summary>Total iterations (mini-batches).</summary>
    public int Iterations { get; init; } = 64_000;

    /// <summary>Iterations at which a step schedule divides the rate.</summary>
    public IReadOnlyList<int> Milestones { get; init; } = [32_000, 48_000];

    /// <summary>Factor of each division.</summary>
    public double Gamma { get; init; } = 0.1;

    /// <summary>Linear warm-up iterations (0 = none).</summary>
    public int WarmupIterations { get; init; }

    /// <summary>The paper's warm-up for deep CIFAR nets: this rate until the training error is below <see cref="PaperWarmupUntilError"/>.</summary>
    public double? PaperWarmupLearningRate { get; init; }

    /// <summary>Training error that ends the paper's warm-up (80%).</summary>
    public double PaperWarmupUntilError { get; init; } = 0.8;

    /// <summary>The paper's warm-up applies to networks at least this deep (110 layers).</summary>
    public int PaperWarmupMinDepth { get; init; } = 110;

    /// <summary>Evaluations without improvement before a plateau schedule divides the rate.</summary>
    public int PlateauPatience { get; init; } = 3;

    /// <summary>Smallest improvement of the validation error that counts (absolute).</summary>
    public double PlateauThreshold { get; init; } = 1e-3;

    /// <summary>Evaluate every this many iterations; 0 = once per epoch.</summary>
    public int EvalEvery { get; init; }

    /// <summary>Log training metrics every this many iterations.</summary>
    public int LogEvery { get; init; } = 50;

    /// <summary>Seed of initialisation, shuffling and augmentation.</summary>
    public int Seed { get; init; }

    /// <summary>Data-loading threads.</summary>
    public int Workers { get; init; } = 2;

    /// <summary>"cpu", "cuda", "cuda:N" or "auto".</summary>
    public string Device { get; init; } = "cpu";

    /// <summary>Run convolutions in channels-last (NHWC) memory order where it is verified correct for the network.</summary>
    public bool ChannelsLast { get; init; } = true;

    /// <summary>
    /// What convolutions and the classifier compute in: fp32, bf16 (fp32 master weights, momentum, BN statistics and loss)
    /// or auto (bf16 where <see cref="PrecisionPolicy"/> measures it faster and correct on this CPU). Checkpoints are fp32 in every case.
    /// </summary>
    public Precision Precision { get; init; } = Precision.Fp32;

    /// <summary>Start from these weights (a checkpoint, run folder, safetensors or .pth state dict) instead of He initialisation.</summary>
    public string? From { get; init; }

    /// <summary>With <see cref="From"/>: keep the stem and the first this many stages fixed.</summary>
    public int FreezeStages { get; init; }

    /// <summary>Keep every BN's statistics fixed (BN in evaluation mode while training).</summary>
    public bool FreezeNorm { get; init; }

    /// <summary>Zero-initialise the last BN of every unit.</summary>
    public bool ZeroInitLast { get; init; }

    /// <summary>On a NaN or infinite loss skip the step instead of stopping.</summary>
    public bool SkipNonFinite { get; init; }

    /// <summary>
    /// Data-parallel runs (mpirun): BN layers normalise with the statistics of the whole global batch, all-reduced
    /// over the ranks, so N ranks × b images train as 1 process × N·b. Off (the default), each rank normalises its
    /// own b images, as PyTorch's DistributedDataParallel does. No effect on one process.
    /// </summary>
    public bool SyncBatchNorm { get; init; }

    /// <summary>
    /// The configuration of a new run, resolved in one place: the recipe named <paramref name="recipe"/>, then the fields of the
    /// JSON file <paramref name="configFile"/> (names as in config.json, any case), then <paramref name="overrides"/> (only the
    /// fields they set), then <paramref name="epochs"/> (<see cref="Epochs"/>; the run turns it into iterations once it knows its
    /// data), then <paramref name="budget"/> (<see cref="Scaled"/>); the result is validated. Unknown recipes, networks and file
    /// fields fail by name with the known ones.
    /// </summary>
    public static TrainingConfig Resolve(string recipe, string? configFile = null, TrainingOverrides? overrides = null, double? epochs = null, double? budget = null)
    {
        var config = Recipes.Get(recipe);
        if (configFile is not null) config = MergeFile(config, configFile);
        config = overrides?.ApplyTo(config) ?? config;
        ModelZoo.Get(config.Model); // fail now on an unknown network, not after loading data
        if (epochs is { } ep) config = config with { Epochs = ep };
        if (budget is { } b) config = config.Scaled(b);
        return config.Validate();
    }

    /// <summary><paramref name="config"/> with the fields of the JSON object in <paramref name="path"/> replaced.</summary>
    static TrainingConfig MergeFile(TrainingConfig config, string path)
    {
        var full = Path.GetFullPath(path);
        if (!File.Exists(full)) throw new FileNotFoundException($"Config file '{full}' does not exist.", full);
        var node = JsonSerializer.SerializeToNode(config, ArtefactJson.Options)!.AsObject();
        var fields = JsonNode.Parse(File.ReadAllText(full)) as JsonObject
                     ?? throw new InvalidDataException($"'{full}' must hold a JSON object of TrainingConfig fields.");
        foreach (var (key, value) in fields)
        {
            var match = node.Select(p => p.Key).FirstOrDefault(k => k.Equals(key, StringComparison.OrdinalIgnoreCase))
                        ?? throw new ArgumentException($"'{Path.GetFileName(full)}' sets unknown field '{key}'. Known fields: {string.Join(", ", node.Select(p => p.Key))}.");
            node[match] = value?.DeepClone();
        }
        try
        {
            return node.Deserialize<TrainingConfig>(ArtefactJson.Options)!;
        }
        catch (JsonException e)
        {
            throw new ArgumentException($"The configuration does not read as a TrainingConfig: {e.Message}");
        }
    }

    /// <summary>
    /// The same run with <see cref="Epochs"/> turned into iterations of <paramref name="batchesPerEpoch"/> batches (milestones
    /// and warm-up scaled alike, <see cref="Epochs"/> cleared); unchanged without <see cref="Epochs"/>.
    /// </summary>
    public TrainingConfig InIterations(int batchesPerEpoch) =>
        Epochs is { } epochs ? WithIterations((int)Math.Round(epochs * batchesPerEpoch)) with { Epochs = null } : this;

    /// <summary>Throws <see cref="ArgumentException"/> naming the first field that makes no sense.</summary>
    public TrainingConfig Validate()
    {
        if (BatchSize < 1) throw new ArgumentException($"batchSize must be at least 1 (got {BatchSize}).");
        if (Iterations < 1) throw new ArgumentException($"iterations must be at least 1 (got {Iterations}).");
        if (LearningRate <= 0) throw new ArgumentException($"learningRate must be positive (got {LearningRate}).");
        if (LabelSmoothing is < 0 or >= 1) throw new ArgumentException($"labelSmoothing must be in [0, 1) (got {LabelSmoothing}).");
        if (Milestones.Any(m => m < 0)) throw new ArgumentException("milestones must not be negative.");
        if (TestResize is { } resize && resize < (CropSize ?? 1)) throw new ArgumentException($"testResize {resize} is smaller than the {CropSize}-pixel crop.");
        if (CropSize is < 8) throw new ArgumentException($"cropSize must be at least 8 pixels (got {CropSize}); leave it unset for the augmentation's own size.");
        Training.ProgressiveResize.Validate(ProgressiveResize);
        if (CropSize is { } crop && ProgressiveResize.FirstOrDefault(p => p.Side > crop) is { } big)
            throw new ArgumentException($"A progressive-resize side of {big.Side} is larger than the {crop}-pixel crop.");
        if (!Enum.IsDefined(ProgressiveMode)) throw new ArgumentException($"Unknown progressive mode '{ProgressiveMode}'. Use resize or crop.");
        if (LogEvery < 1) throw new ArgumentException("logEvery must be at least 1.");
        if (!Enum.IsDefined(Augmentation)) throw new ArgumentException($"Unknown augmentation '{Augmentation}'. Use cifar, imagenet, imagenet-rrc or none.");
        if (!Enum.IsDefined(Normalization)) throw new ArgumentException($"Unknown normalization '{Normalization}'. Use per-pixel-mean or per-channel.");
        return this;
    }

    /// <summary>
    /// The same run with <paramref name="fraction"/> of the iterations, milestones and warm-up scaled alike
    /// (a CPU-sized version of a paper schedule).
    /// </summary>
    public TrainingConfig Scaled(double fraction)
    {
        if (fraction is <= 0 or > 1) throw new ArgumentOutOfRangeException(nameof(fraction), fraction, "A budget is a fraction in (0, 1].");
        return WithIterations((int)Math.Round(Iterations * fraction));
    }

    /// <summary>The same run stretched or shrunk to <paramref name="iterations"/>, milestones and warm-up scaled alike.</summary>
    public TrainingConfig WithIterations(int iterations)
    {
        iterations = Math.Max(1, iterations);
        var ratio = iterations / (double)Iterations;
        int Scale(int n) => Math.Max(1, (int)Math.Round(n * ratio));
        return this with
        {
            Iterations = iterations,
            Milestones = Milestones.Select(Scale).ToArray(),
            WarmupIterations = WarmupIterations == 0 ? 0 : Scale(WarmupIterations),
        };
    }
}

/// <summary>How training images are augmented; JSON files and the command line write the names in quotes.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<AugmentationKind>))]
public enum AugmentationKind
{
    /// <summary>"cifar": pad 4, random 32-pixel crop, horizontal flip (section 4.2).</summary>
    [JsonStringEnumMemberName("cifar")] Cifar,

    /// <summary>"imagenet": scale augmentation (shorter side in [256, 480]), 224 crop, flip, PCA lighting (section 3.4).</summary>
    [JsonStringEnumMemberName("imagenet")] ImageNet,

    /// <summary>"imagenet-rrc": random resized crop and flip (torchvision's recipe, not the paper's).</summary>
    [JsonStringEnumMemberName("imagenet-rrc")] ImageNetRandomResizedCrop,

    /// <summary>"none": training images go through the test view.</summary>
    [JsonStringEnumMemberName("none")] None,
}

/// <summary>How pixels are normalised before the network; JSON files and the command line write the names in quotes.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<NormalizationKind>))]
public enum NormalizationKind
{
    /// <summary>"per-pixel-mean": subtract the mean image of the training set (the paper).</summary>
    [JsonStringEnumMemberName("per-pixel-mean")] PerPixelMean,

    /// <summary>"per-channel": mean and standard deviation per channel of the training set.</summary>
    [JsonStringEnumMemberName("per-channel")] PerChannel,
}

/// <summary>How progressive resizing shrinks a batch; JSON files and the command line write the names in quotes.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<ProgressiveMode>))]
public enum ProgressiveMode
{
    /// <summary>"resize": downscale the whole image.</summary>
    [JsonStringEnumMemberName("resize")] Resize,

    /// <summary>"crop": cut a smaller window at the original scale.</summary>
    [JsonStringEnumMemberName("crop")] Crop,
}

/// <summary>The named recipes: the paper's two and CPU-sized ones.</summary>
public static class Recipes
{
    /// <summary>
    /// Section 4.2: SGD, batch 128, momentum 0.9, weight decay 1e-4, lr 0.1 divided by 10 at 32k and 48k,
    /// stop at 64k; 110 layers and deeper warm up at 0.01 until the training error is below 80%.
    /// </summary>
    public static TrainingConfig PaperCifar { get; } = new()
    {
        Recipe = "paper-cifar",
        PaperWarmupLearningRate = 0.01,
    };

    /// <summary>
    /// Section 3.4: batch 256, lr 0.1 divided by 10 when the error plateaus, weight decay 1e-4, momentum 0.9,
    /// up to 60e4 iterations, scale augmentation with PCA lighting, per-pixel mean.
    /// </summary>
    public static TrainingConfig PaperImageNet { get; } = new()
    {
        Recipe = "paper-imagenet",
        Model = "resnet34",
        Data = "imagenet",
        Augmentation = AugmentationKind.ImageNet,
        BatchSize = 256,
        Schedule = ScheduleKind.Plateau,
        Iterations = 600_000,
        Milestones = [],
        EvalEvery = 5_000,
    };

    /// <summary>
    /// A CIFAR schedule for about one hour of a 2-core CPU: the paper's net, data and augmentation with a one-cycle
    /// learning rate (linear rise to 0.2 over 1,014 iterations, cosine to zero), weight decay 5e-4 on weights only,
    /// label smoothing 0.1, and progressive resizing (batches downscaled to 16 pixels for the first 35.9% of the
    /// iterations, to 24 until 71.8%, then full size), over 15,210 iterations (39 epochs of 390 batches). Measured on
    /// the project's machine: ResNet-20 reaches 12.57% test error in 59.3 minutes (docs/NOTES.md).
    /// </summary>
    public static TrainingConfig CifarCpu { get; } = new()
    {
        Recipe = "cifar-cpu",
        LearningRate = 0.2,
        WeightDecay = 5e-4,
        DecayNormAndBias = false,
        LabelSmoothing = 0.1,
        Schedule = ScheduleKind.OneCycle,
        Iterations = 15_210,
        Milestones = [],
        WarmupIterations = 1_014,
        ProgressiveResize = [new ResizePhase(16, 0.359), new ResizePhase(24, 0.718)],
    };

    /// <summary>Every recipe by name.</summary>
    public static IReadOnlyDictionary<string, TrainingConfig> All { get; } = new Dictionary<string, TrainingConfig>
    {
        ["paper-cifar"] = PaperCifar,
        ["paper-imagenet"] = PaperImageNet,
        ["cifar-cpu"] = CifarCpu,
    };

    /// <summary>The recipe named <paramref name="name"/>; unknown names fail with the list.</summary>
    public static TrainingConfig Get(string name) =>
        All.TryGetValue(name.Trim().ToLowerInvariant(), out var recipe)
            ? recipe
            : throw new ArgumentException($"Unknown recipe '{name}'. Known recipes: {string.Join(", ", All.Keys)}.");
}
