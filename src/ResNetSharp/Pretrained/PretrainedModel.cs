using System.Security.Cryptography;
using System.Text.Json;
using ResNetSharp.Data;
using ResNetSharp.Inference;
using ResNetSharp.Models;
using ResNetSharp.Runtime;
using ResNetSharp.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace ResNetSharp.Pretrained;

/// <summary>
/// A released network whose weights matched the SHA-256 of its model card: the card, the network description,
/// the class names and the preprocessing (the per-pixel mean image is part of the model). It holds no tensors;
/// <see cref="CreateNetwork"/> and <see cref="CreateClassifier"/> read the weights, checking the hash again.
/// </summary>
/// <remarks>
/// A release folder holds <c>model.safetensors</c> (weights and BN running statistics, fp32, torchvision names,
/// nothing of the optimiser; the description, classes and normalisation as safetensors metadata), <c>card.json</c>,
/// <c>MODEL_CARD.md</c>, <c>config.json</c>, <c>metrics.csv</c> and <c>curve.png</c>.
/// </remarks>
public sealed class PretrainedModel
{
    /// <summary>The weights file inside a release folder.</summary>
    public const string WeightsFile = "model.safetensors";

    /// <summary>The machine-readable card inside a release folder.</summary>
    public const string CardFile = "card.json";

    /// <summary>The format tag in the weights file's metadata.</summary>
    public const string WeightsFormat = "resnetsharp-pretrained/1";

    PretrainedModel(ModelCard card, NetworkSpec spec, IReadOnlyList<string> classNames, Normalization normalization, int inputSize, string weightsPath)
    {
        Card = card;
        Spec = spec;
        ClassNames = classNames;
        Normalization = normalization;
        InputSize = inputSize;
        WeightsPath = weightsPath;
    }

    /// <summary>The release name, e.g. "resnet20-cifar10".</summary>
    public string Name => Card.Name;

    /// <summary>The model card.</summary>
    public ModelCard Card { get; }

    /// <summary>The network description.</summary>
    public NetworkSpec Spec { get; }

    /// <summary>Class names in label order.</summary>
    public IReadOnlyList<string> ClassNames { get; }

    /// <summary>The preprocessing the network was trained with (for CIFAR nets the paper's per-pixel mean image).</summary>
    public Normalization Normalization { get; }

    /// <summary>Side of the square input.</summary>
    public int InputSize { get; }

    /// <summary>The verified weights file on disk (a release folder's, or the cached copy of a shipped one).</summary>
    public string WeightsPath { get; }

    /// <summary>
    /// Loads the release in <paramref name="folder"/> (card.json and model.safetensors), verifying the weights
    /// against the card's SHA-256.
    /// </summary>
    /// <exception cref="InvalidDataException">The weights do not match the card, or a file is not what it should be.</exception>
    public static PretrainedModel Load(string folder)
    {
        var cardPath = Path.Combine(folder, CardFile);
        if (!File.Exists(cardPath))
            throw new DirectoryNotFoundException($"'{folder}' is not a pretrained-model folder: it has no {CardFile}. Make one with 'resnet release <run> --name <name> --out <folder>'.");
        var card = ModelCard.Parse(File.ReadAllText(cardPath), cardPath);
        var weights = Path.Combine(folder, card.Weights.File);
        Verify(weights, card);
        TorchRuntime.EnsureLoaded();
        var (tensors, metadata, _) = TensorFile.Read(weights);
        foreach (var t in tensors.Values) t.Dispose();
        if (metadata.GetValueOrDefault("format") != WeightsFormat)
            throw new InvalidDataException($"'{weights}' is not a ResNetSharp pretrained weights file (format '{metadata.GetValueOrDefault("format") ?? "none"}', expected '{WeightsFormat}').");
        T Read<T>(string key) => JsonSerializer.Deserialize<T>(metadata.GetValueOrDefault(key) ?? throw new InvalidDataException($"'{weights}' has no '{key}' in its metadata."), Checkpoint.Json)
                                 ?? throw new InvalidDataException($"'{weights}' has an empty '{key}'.");
        try
        {
            return new PretrainedModel(card, Read<NetworkSpec>("spec"), Read<string[]>("classes"), Read<Normalization>("normalization"), Read<int>("inputSize"), weights);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"'{weights}' has unreadable metadata: {e.Message}", e);
        }
    }

    /// <summary>Throws when the file's SHA-256 is not the one the card states (one line: which file, both hashes, what to do).</summary>
    public static void Verify(string weightsPath, ModelCard card)
    {
        if (!File.Exists(weightsPath)) throw new FileNotFoundException($"The pretrained weights '{weightsPath}' named by the model card are missing.", weightsPath);
        var actual = Sha256Of(weightsPath);
        if (!actual.Equals(card.Weights.Sha256, StringComparison.OrdinalIgnoreCase))
            throw new InvalidDataException(
                $"'{weightsPath}' does not match its model card: SHA-256 {actual} but card.json says {card.Weights.Sha256}. " +
                "The weights are damaged or were changed; restore the file (e.g. git checkout -- pretrained/) or release the run again.");
    }

    /// <summary>Lower-case hex SHA-256 of a file.</summary>
    public static string Sha256Of(string path)
    {
        using var file = File.OpenRead(path);
        return Convert.ToHexString(SHA256.HashData(file)).ToLowerInvariant();
    }

    /// <summary>A new network with the released weights, in evaluation mode, on <paramref name="device"/> (default CPU).</summary>
    public ResNet CreateNetwork(Device? device = null)
    {
        Verify(WeightsPath, Card);
        var (tensors, _, _) = TensorFile.Read(WeightsPath);
        var model = new ResNet(Spec);
        try
        {
            var (missing, unexpected) = model.load_state_dict(tensors, strict: false);
            var reallyMissing = missing.Where(k => !k.EndsWith("num_batches_tracked", StringComparison.Ordinal)).ToArray();
            if (reallyMissing.Length > 0 || unexpected.Count > 0)
                throw new InvalidDataException($"'{WeightsPath}' does not fit {Spec.Name}: missing [{string.Join(", ", reallyMissing)}], unexpected [{string.Join(", ", unexpected)}].");
        }
        catch
        {
            model.Dispose();
            throw;
        }
        finally
        {
            foreach (var t in tensors.Values) t.Dispose();
        }
        model.eval();
        if (device is not null) model.to(device);
        return model;
    }

    /// <summary>A classifier of image files with the released network and its preprocessing.</summary>
    public ImageClassifier CreateClassifier(string device = "cpu")
    {
        var dev = Devices.Parse(device);
        return new ImageClassifier(CreateNetwork(dev), ClassNames, Normalization, InputSize, dev);
    }

    /// <summary>
    /// Writes a network's weights and BN running statistics as fp32 safetensors with torchvision names (no
    /// num_batches_tracked, no optimiser state), with the description, classes and normalisation as metadata.
    /// </summary>
    internal static int WriteWeights(string path, string name, ResNet model, IReadOnlyList<string> classNames, Normalization normalization, int inputSize)
    {
        using var scope = NewDisposeScope(); // the fp32 copies; the model's own tensors were made outside it
        var state = model.state_dict()
            .Where(p => !p.Key.EndsWith("num_batches_tracked", StringComparison.Ordinal))
            .Select(p => KeyValuePair.Create(p.Key, p.Value.detach().to_type(ScalarType.Float32)))
            .ToList();
        TensorFile.Write(path, state, new Dictionary<string, string>
        {
            ["format"] = WeightsFormat,
            ["name"] = name,
            ["network"] = model.Spec.Name,
            ["spec"] = JsonSerializer.Serialize(model.Spec, Checkpoint.Json),
            ["classes"] = JsonSerializer.Serialize(classNames, Checkpoint.Json),
            ["normalization"] = JsonSerializer.Serialize(normalization, Checkpoint.Json),
            ["inputSize"] = inputSize.ToString(System.Globalization.CultureInfo.InvariantCulture),
        });
        return state.Count;
    }
}
