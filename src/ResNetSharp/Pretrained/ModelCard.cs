using System.Text.Encodings.Web;
using System.Text.Json;
using ResNetSharp.Training;

namespace ResNetSharp.Pretrained;

/// <summary>One measured error of a released network: which images, which protocol, how many, what error.</summary>
/// <param name="Data">The test images, as the data loader describes them.</param>
/// <param name="Protocol">The evaluation protocol as the evaluator names it (e.g. "single view (original image)").</param>
/// <param name="Images">Images evaluated.</param>
/// <param name="Top1Error">Top-1 error, a fraction in [0, 1].</param>
/// <param name="Top5Error">Top-5 error, a fraction in [0, 1].</param>
public sealed record CardEvaluation(string Data, string Protocol, int Images, double Top1Error, double Top5Error);

/// <summary>
/// Accuracy on the CIFAR-10 test images embedded in the library: every copy of ResNetSharp can check a
/// released network against this number, offline.
/// </summary>
/// <param name="Protocol">The evaluation protocol (single view).</param>
/// <param name="Images">Test images of the sample.</param>
/// <param name="Correct">Images classified correctly (top-1).</param>
public sealed record SampleAccuracy(string Protocol, int Images, int Correct)
{
    /// <summary>Correct over images.</summary>
    public double Accuracy => Images == 0 ? double.NaN : Correct / (double)Images;

    /// <summary>The binomial standard error of <see cref="Accuracy"/>: sqrt(p(1−p)/n).</summary>
    public double StandardError => Images == 0 ? double.NaN : Math.Sqrt(Accuracy * (1 - Accuracy) / Images);
}

/// <summary>What an image goes through before the network sees it: the model's half of the preprocessing.</summary>
/// <param name="ChannelOrder">Always "RGB".</param>
/// <param name="Scale">Pixel bytes are multiplied by this (1/255 maps them to [0, 1]).</param>
/// <param name="Mean">"per-pixel" (the paper's mean image, 3·H·W values) or "per-channel".</param>
/// <param name="MeanShape">[3, H, W] of a per-pixel mean, [3] of a per-channel one.</param>
/// <param name="ChannelMeans">The mean averaged per channel (R, G, B), in scaled units.</param>
/// <param name="Std">Per-channel divisors after the mean (1 when only the mean is subtracted).</param>
/// <param name="InputSize">Side of the square input.</param>
/// <param name="View">How a test image becomes the input (e.g. "original 32x32 image").</param>
/// <param name="Where">Where the full mean lives.</param>
public sealed record CardPreprocessing(string ChannelOrder, float Scale, string Mean, IReadOnlyList<int> MeanShape,
    IReadOnlyList<float> ChannelMeans, IReadOnlyList<float> Std, int InputSize, string View, string Where);

/// <summary>The weights file of a release and its SHA-256, which loading verifies.</summary>
/// <param name="File">File name inside the release folder.</param>
/// <param name="Bytes">File size.</param>
/// <param name="Sha256">Lower-case hex SHA-256 of the whole file.</param>
/// <param name="Tensors">Tensors in the file (weights and BN running statistics, fp32, torchvision names).</param>
public sealed record CardWeights(string File, long Bytes, string Sha256, int Tensors);

/// <summary>
/// The machine-readable model card of a released network (card.json): what it is, how it was trained (recipe,
/// resolved configuration, the command that reproduces it, seed, iterations), what it measures (test error single
/// view and flip-averaged, accuracy on the embedded CIFAR-10 sample), its preprocessing and classes, and the SHA-256
/// of its weights. MODEL_CARD.md says the same for people.
/// </summary>
public sealed record ModelCard
{
    /// <summary>The format tag of card.json.</summary>
    public const string FormatTag = "resnetsharp-model-card/1";

    /// <summary>JSON settings of card.json: camelCase, indented, enums as names.</summary>
    public static readonly JsonSerializerOptions Json = new(Training.Checkpoint.Json) { WriteIndented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>Always <see cref="FormatTag"/>.</summary>
    public string Format { get; init; } = FormatTag;

    /// <summary>Release name, e.g. "resnet20-cifar10": the name <c>--pretrained</c> takes.</summary>
    public required string Name { get; init; }

    /// <summary>Network name (see ModelZoo), e.g. "resnet20".</summary>
    public required string Network { get; init; }

    /// <summary>The data set the network was trained for, e.g. "cifar10".</summary>
    public required string Dataset { get; init; }

    /// <summary>Paper-style description of the network, e.g. "ResNet-20 (CIFAR, basic, option A)".</summary>
    public required string Description { get; init; }

    /// <summary>Learnable parameters.</summary>
    public required long Parameters { get; init; }

    /// <summary>The recipe the run started from.</summary>
    public required string Recipe { get; init; }

    /// <summary>The run's resolved configuration (also shipped as config.json).</summary>
    public required TrainingConfig Config { get; init; }

    /// <summary>Markdown notes of the release (known gaps, data caveats), shown under "Notes"; null for none.</summary>
    public string? Notes { get; init; }

    /// <summary>The <c>resnet train</c> command that reproduces the run, readable.</summary>
    public required string Command { get; init; }

    /// <summary>The same command as an argument list (no shell quoting needed).</summary>
    public required IReadOnlyList<string> CommandArguments { get; init; }

    /// <summary>Seed of initialisation, shuffling and augmentation.</summary>
    public required int Seed { get; init; }

    /// <summary>Iterations trained.</summary>
    public required long Iterations { get; init; }

    /// <summary>Epochs trained (iterations over batches per epoch).</summary>
    public required double Epochs { get; init; }

    /// <summary>Training wall time, in seconds.</summary>
    public required double TrainingSeconds { get; init; }

    /// <summary>Which checkpoint of the run was released ("latest.ckpt": the end of training, as the paper reports).</summary>
    public required string Checkpoint { get; init; }

    /// <summary>Test error with the paper's single view.</summary>
    public required CardEvaluation SingleView { get; init; }

    /// <summary>Test error with scores averaged over the image and its mirror (not the paper's protocol).</summary>
    public required CardEvaluation FlipAveraged { get; init; }

    /// <summary>Whether <see cref="SingleView"/> and <see cref="FlipAveraged"/> are on the embedded sample rather than a full test set.</summary>
    public required bool EvaluatedOnSample { get; init; }

    /// <summary>The paper's test error (%) for this network, when the paper has one (Table 6).</summary>
    public double? PaperTop1Error { get; init; }

    /// <summary>Accuracy on the embedded CIFAR-10 sample's test images (null when the classes are not CIFAR-10's).</summary>
    public SampleAccuracy? Sample { get; init; }

    /// <summary>The preprocessing (the full mean image is in the weights file's metadata).</summary>
    public required CardPreprocessing Preprocessing { get; init; }

    /// <summary>Class names in label order.</summary>
    public required IReadOnlyList<string> Classes { get; init; }

    /// <summary>The weights file and its SHA-256.</summary>
    public required CardWeights Weights { get; init; }

    /// <summary>Files of the release folder besides card.json.</summary>
    public IReadOnlyList<string> Files { get; init; } = [];

    /// <summary>When the release was made (UTC, ISO 8601).</summary>
    public required string Released { get; init; }

    /// <summary>The ResNetSharp version that made the release.</summary>
    public required string Tool { get; init; }

    /// <summary>Reads a card.json; a foreign or damaged file fails with what it is.</summary>
    public static ModelCard Parse(string json, string source)
    {
        ModelCard? card;
        try
        {
            card = JsonSerializer.Deserialize<ModelCard>(json, Json);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"'{source}' is not a readable model card: {e.Message}", e);
        }
        if (card is null || card.Format != FormatTag)
            throw new InvalidDataException($"'{source}' is not a ResNetSharp model card (format '{card?.Format ?? "none"}', expected '{FormatTag}').");
        return card;
    }

    /// <summary>card.json text.</summary>
    public string ToJson() => JsonSerializer.Serialize(this, Json);
}
