using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using ResNetSharp.Data;
using ResNetSharp.Models;
using ResNetSharp.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace ResNetSharp.Training;

/// <summary>Where a run stands: enough, with the weights and momentum, to continue bit-identically.</summary>
public sealed record TrainingProgress
{
    /// <summary>Iterations completed.</summary>
    public long Iteration { get; init; }

    /// <summary>Mini-batches per epoch of the run's loader (the loader position is Iteration mod this).</summary>
    public int BatchesPerEpoch { get; init; }

    /// <summary>State of the paper's warm-up and plateau rules.</summary>
    public ScheduleState Schedule { get; init; } = new();

    /// <summary>Lowest test (or validation) error so far.</summary>
    public double? BestError { get; init; }

    /// <summary>Last evaluated test (or validation) error.</summary>
    public double? LastError { get; init; }

    /// <summary>Training wall time so far, in seconds.</summary>
    public double Seconds { get; init; }

    /// <summary>
    /// Sums of the metrics window still open when the checkpoint was taken (steps since the last logged row), so a
    /// resumed run's first row averages the same steps as an uninterrupted run's. Null in checkpoints written
    /// before it existed.
    /// </summary>
    public MetricsWindow? Window { get; init; }

    /// <summary>Epoch of the next mini-batch.</summary>
    public int Epoch => BatchesPerEpoch == 0 ? 0 : (int)(Iteration / BatchesPerEpoch);

    /// <summary>Position of the next mini-batch within its epoch.</summary>
    public int BatchInEpoch => BatchesPerEpoch == 0 ? 0 : (int)(Iteration % BatchesPerEpoch);
}

/// <summary>Running sums of the metrics row being accumulated: loss and error sums over finite steps, images seen.</summary>
public sealed record MetricsWindow(double LossSum, double ErrorSum, int Steps, long Seen, double LastTrainError);

/// <summary>
/// A checkpoint: weights and BN statistics, SGD momentum, progress, the torch RNG state, the resolved
/// configuration, the network description, class names and input normalisation. Stored as a safetensors
/// file (model.* and optimizer.* tensors, the rest as JSON metadata). Format 2 carries a SHA-256 of header and
/// data together, so an edited learning rate or normalisation is refused; format 1 files (data hash only, written
/// before) still load and resume.
/// </summary>
public sealed class Checkpoint : IDisposable
{
    /// <summary>The format tag every checkpoint written now carries.</summary>
    public const string Format = "resnetsharp-checkpoint/2";

    /// <summary>The format of checkpoints written before the header hash: their data hash is checked, their header cannot be.</summary>
    public const string LegacyFormat = "resnetsharp-checkpoint/1";

    /// <summary>JSON settings of checkpoints, run folders and config files: <see cref="ArtefactJson.Options"/>.</summary>
    public static JsonSerializerOptions Json => ArtefactJson.Options;

    /// <summary>The resolved training configuration; an imported model has none (<see cref="Imported"/>) and fails here saying so.</summary>
    [AllowNull]
    public required TrainingConfig Config
    {
        get => config ?? throw new InvalidDataException($"This checkpoint was imported from {Imported?.Source}, not trained: it has no training configuration. " +
                                                        "Use it with predict, features, eval --data, export or train --from.");
        init => config = value;
    }

    readonly TrainingConfig? config;

    /// <summary>Where an imported model came from and its view of an image; null for a checkpoint of a training run.</summary>
    public ImportedModel? Imported { get; init; }

    /// <summary>The network description.</summary>
    public required NetworkSpec Spec { get; init; }

    /// <summary>Class names in label order.</summary>
    public required IReadOnlyList<string> ClassNames { get; init; }

    /// <summary>How images were normalised for the network.</summary>
    public required Normalization Normalization { get; init; }

    /// <summary>Where the run stood.</summary>
    public required TrainingProgress Progress { get; init; }

    /// <summary>Weights and buffers by torchvision-style name.</summary>
    public required Dictionary<string, Tensor> ModelState { get; init; }

    /// <summary>SGD momentum buffers by parameter name.</summary>
    public required Dictionary<string, Tensor> Momentum { get; init; }

    /// <summary>libtorch's CPU generator state, if saved.</summary>
    public Tensor? RngState { get; init; }

    /// <summary>
    /// Writes an imported model (<c>resnet import</c>) as a checkpoint atomically: its weights, description, classes, normalisation
    /// and provenance (<see cref="ImportedModel"/>), with no training configuration, optimiser or progress, since it was not trained here.
    /// </summary>
    public static void SaveImported(string path, ResNet model, IReadOnlyList<string> classNames, Normalization normalization, ImportedModel imported)
    {
        TensorFile.Write(path, ModelTensors(model), Metadata("imported", JsonSerializer.Serialize(imported, Json), model, classNames, normalization));
    }

    static List<KeyValuePair<string, Tensor>> ModelTensors(ResNet model) =>
        [.. model.state_dict().Select(p => KeyValuePair.Create("model." + p.Key, p.Value))];

    // what every checkpoint describes, with the entry that says where its weights came from (a training config or an import)
    static Dictionary<string, string> Metadata(string originKey, string origin, ResNet model, IReadOnlyList<string> classNames, Normalization normalization) => new()
    {
        ["format"] = Format,
        [originKey] = origin,
        ["spec"] = JsonSerializer.Serialize(model.Spec, Json),
        ["classes"] = JsonSerializer.Serialize(classNames, Json),
        ["normalization"] = JsonSerializer.Serialize(normalization, Json),
    };

    /// <summary>Writes a checkpoint atomically (temporary file, then rename).</summary>
    public static void Save(string path, ResNet model, Sgd? optimizer, TrainingConfig config, IReadOnlyList<string> classNames,
        Normalization normalization, TrainingProgress progress)
    {
        var tensors = ModelTensors(model);
        if (optimizer is not null) tensors.AddRange(optimizer.State.Select(p => KeyValuePair.Create("optimizer.momentum." + p.Key, p.Value)));
        using var rng = random.get_rng_state();
        tensors.Add(KeyValuePair.Create("rng.torch", rng));
        var metadata = Metadata("config", JsonSerializer.Serialize(config, Json), model, classNames, normalization);
        metadata["progress"] = JsonSerializer.Serialize(progress, Json);
        TensorFile.Write(path, tensors, metadata);
    }

    /// <summary>Reads and checks a checkpoint; a torn or foreign file fails with what to do.</summary>
    public static Checkpoint Load(string path)
    {
        var (tensors, metadata, headerVerified) = TensorFile.Read(path);
        try
        {
            metadata.TryGetValue("format", out var format);
            if (format == Format && !headerVerified)
                throw new InvalidDataException($"'{path}' says it is a {Format} checkpoint but has no header hash: it was edited. Use another checkpoint.");
            if (format != Format && format != LegacyFormat)
                throw new InvalidDataException($"'{path}' is a safetensors file but not a ResNetSharp checkpoint (format '{format ?? "none"}'). " +
                                               "Plain weight files load with the weights commands instead.");
            T Read<T>(string key) => JsonSerializer.Deserialize<T>(metadata.GetValueOrDefault(key) ?? throw new InvalidDataException($"'{path}' has no '{key}'."), Json)
                                     ?? throw new InvalidDataException($"'{path}' has an empty '{key}'.");
            var imported = metadata.ContainsKey("imported") ? Read<ImportedModel>("imported") : null;
            var config = imported is null ? Read<TrainingConfig>("config") : null;
            if (config is { Recipe: ImportedModel.LegacyRecipe }) // an import written before provenance: its config was made up
            {
                imported = new ImportedModel(config.Data, config.CropSize ?? Read<NetworkSpec>("spec").InputSize, config.TestResize, !config.UntrainedClassifier);
                config = null;
            }
            return new Checkpoint
            {
                Config = config,
                Imported = imported,
                Spec = Read<NetworkSpec>("spec"),
                ClassNames = Read<string[]>("classes"),
                Normalization = Read<Normalization>("normalization"),
                Progress = imported is null ? Read<TrainingProgress>("progress") : new TrainingProgress(),
                ModelState = Take(tensors, "model."),
                Momentum = Take(tensors, "optimizer.momentum."),
                RngState = tensors.Remove("rng.torch", out var rng) ? rng : null,
            };
        }
        catch (JsonException e)
        {
            foreach (var t in tensors.Values) t.Dispose();
            throw new InvalidDataException($"'{path}' has unreadable metadata: {e.Message.Split('\n')[0]}", e);
        }
        catch
        {
            foreach (var t in tensors.Values) t.Dispose();
            throw;
        }
    }

    static Dictionary<string, Tensor> Take(Dictionary<string, Tensor> all, string prefix) =>
        all.Where(p => p.Key.StartsWith(prefix, StringComparison.Ordinal)).ToDictionary(p => p.Key[prefix.Length..], p => p.Value);

    /// <summary>The side of the network's input: the mean image's, else the training crop, else the description's.</summary>
    public int InputSize => Normalization.MeanHeight > 0 ? Normalization.MeanHeight : Imported?.InputSize ?? Config!.CropSize ?? Spec.InputSize;

    /// <summary>The preprocessing the network was trained (or imported) with, as its evaluation applies it to photos.</summary>
    public ImagePreprocessing Preprocessing => ImagePreprocessing.OfTrained(Normalization, InputSize, Imported is { } i ? i.TestResize : Config!.TestResize);

    /// <summary>Builds the network and loads the weights into it (strictly: every key must match).</summary>
    public ResNet CreateModel(Device? device = null)
    {
        var model = new ResNet(Spec);
        var (missing, unexpected) = model.load_state_dict(ModelState, strict: false);
        if (missing.Count > 0 || unexpected.Count > 0)
        {
            model.Dispose();
            throw new InvalidDataException($"Checkpoint weights do not fit {Spec.Name}: missing [{string.Join(", ", missing)}], unexpected [{string.Join(", ", unexpected)}].");
        }
        if (device is not null) model.to(device);
        return model;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var t in ModelState.Values.Concat(Momentum.Values)) t.Dispose();
        RngState?.Dispose();
    }
}

/// <summary>
/// Provenance of a model read from another tool's file (<c>resnet import</c>) rather than trained: the file, the input side and
/// resize of its view of a photo, and whether its classifier holds trained weights (false for a feature extractor).
/// </summary>
/// <param name="Source">The file it was imported from (full path).</param>
/// <param name="InputSize">Side of the network's input.</param>
/// <param name="TestResize">Shorter side a photo is resized to before the centre crop.</param>
/// <param name="HasTrainedClassifier">False when the graph ended at the pooled features.</param>
public sealed record ImportedModel(string Source, int InputSize, int? TestResize, bool HasTrainedClassifier)
{
    /// <summary>The recipe name older imports wrote into a made-up training configuration.</summary>
    public const string LegacyRecipe = "imported";

    /// <summary>
    /// The data set <paramref name="data"/> seen through this model's view (no augmentation, its crop and resize), as evaluation
    /// opens it; the normalisation comes from the checkpoint.
    /// </summary>
    public TrainingConfig Evaluation(string data, string? dataDir) => new()
    {
        Recipe = LegacyRecipe,
        Data = data,
        DataDir = dataDir,
        Augmentation = AugmentationKind.None,
        CropSize = InputSize,
        TestResize = TestResize,
        Normalization = NormalizationKind.PerChannel,
        Iterations = 1,
        Milestones = [],
    };
}
