using ResNetSharp.Data;
using ResNetSharp.Inference;
using ResNetSharp.Interop;
using ResNetSharp.Models;
using ResNetSharp.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace ResNetSharp.Training;

/// <summary>The kinds of file a trained network comes in.</summary>
public enum ModelFileKind
{
    /// <summary>A training checkpoint (.ckpt), or a run folder standing for its best (else latest) one.</summary>
    Checkpoint,

    /// <summary>Weights only: a safetensors file or a PyTorch .pth state dict (no description, classes or preprocessing).</summary>
    Weights,

    /// <summary>An ONNX graph of a ResNet-like network (ours or another tool's), read by <see cref="OnnxImport"/>.</summary>
    Onnx,
}

/// <summary>
/// A trained network as a file holds it, whatever the kind of file: the description, the weights, the class names,
/// the preprocessing and the input size. <see cref="Open"/> is the one place that tells the kinds apart; predict,
/// features, eval, export, fine-tuning and the library's callers all read through it.
/// </summary>
public sealed class ModelFile : IDisposable
{
    /// <summary>The file read (for a run folder, the checkpoint that stands for it).</summary>
    public required string Path { get; init; }

    /// <summary>What kind of file it is.</summary>
    public required ModelFileKind Kind { get; init; }

    /// <summary>The network description; null for a weights-only file.</summary>
    public NetworkSpec? Spec { get; init; }

    /// <summary>Weights and BN statistics by torchvision-style name.</summary>
    public required Dictionary<string, Tensor> Weights { get; init; }

    /// <summary>Class names in label order; null for a weights-only file.</summary>
    public IReadOnlyList<string>? ClassNames { get; init; }

    /// <summary>What an image goes through before the network; null for a weights-only file.</summary>
    public ImagePreprocessing? Preprocessing { get; init; }

    /// <summary>The side of the network's input; null for a weights-only file.</summary>
    public int? InputSize => Preprocessing?.InputSize;

    /// <summary>False for a feature extractor whose classifier holds no trained weights (an imported graph that ends at the pool).</summary>
    public bool HasTrainedClassifier { get; init; } = true;

    /// <summary>The training configuration of a checkpoint (its data set and recipe); null for other kinds.</summary>
    public TrainingConfig? Config { get; init; }

    /// <summary>Where an imported checkpoint came from (<c>resnet import</c>); null for other files.</summary>
    public ImportedModel? Imported { get; init; }

    /// <summary>The input normalisation; null for a weights-only file.</summary>
    public Normalization? Normalization { get; init; }

    /// <summary>What the ONNX importer inferred or adapted, one line each; empty for other kinds.</summary>
    public IReadOnlyList<string> Notes { get; init; } = [];

    /// <summary>
    /// The kind of model file <paramref name="path"/> is by its extension (a run folder stands for its checkpoint), or null
    /// when it is none of them (an image, a folder of images); <see cref="Open"/> reads such a path as a checkpoint.
    /// </summary>
    public static ModelFileKind? KindOf(string path) =>
        Directory.Exists(path) ? (RunFolder.IsRunFolder(path) ? ModelFileKind.Checkpoint : null)
        : System.IO.Path.GetExtension(path).ToLowerInvariant() switch
        {
            ".onnx" => ModelFileKind.Onnx,
            ".ckpt" => ModelFileKind.Checkpoint,
            ".safetensors" or ".pth" or ".pt" or ".bin" => ModelFileKind.Weights,
            _ => null,
        };

    /// <summary>
    /// Reads <paramref name="path"/>: a .ckpt, a run folder (<see cref="RunFolder.Checkpoint"/>; <paramref name="note"/> hears
    /// when a damaged best checkpoint is passed over), a .safetensors/.pth state dict or an .onnx graph.
    /// </summary>
    public static ModelFile Open(string path, Action<string>? note = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        TorchRuntime.EnsureLoaded();
        var file = RunFolder.Checkpoint(path, note);
        switch (KindOf(file) ?? ModelFileKind.Checkpoint)
        {
            case ModelFileKind.Onnx:
                var imported = OnnxImport.Load(file);
                using (var network = imported.Network)
                {
                    var preprocessing = imported.EffectivePreprocessing;
                    return new ModelFile
                    {
                        Path = file,
                        Kind = ModelFileKind.Onnx,
                        Spec = imported.Spec,
                        Weights = network.state_dict().ToDictionary(p => p.Key, p => p.Value.detach().clone()),
                        ClassNames = imported.EffectiveClassNames,
                        Preprocessing = preprocessing,
                        Normalization = preprocessing.ToNormalization(),
                        HasTrainedClassifier = imported.OutputIsLogits,
                        Notes = imported.Notes,
                    };
                }
            case ModelFileKind.Weights:
                return new ModelFile { Path = file, Kind = ModelFileKind.Weights, Weights = WeightFiles.Read(file) };
            default:
                var checkpoint = Checkpoint.Load(file);
                foreach (var t in checkpoint.Momentum.Values) t.Dispose();
                checkpoint.RngState?.Dispose();
                return new ModelFile
                {
                    Path = file,
                    Kind = ModelFileKind.Checkpoint,
                    Spec = checkpoint.Spec,
                    Weights = checkpoint.ModelState,
                    ClassNames = checkpoint.ClassNames,
                    Preprocessing = checkpoint.Preprocessing,
                    Normalization = checkpoint.Normalization,
                    HasTrainedClassifier = checkpoint.Imported?.HasTrainedClassifier ?? !checkpoint.Config!.UntrainedClassifier,
                    Config = checkpoint.Imported is null ? checkpoint.Config : null,
                    Imported = checkpoint.Imported,
                };
        }
    }

    /// <summary>Builds the network and loads the weights into it (strictly: every key must match), in eval mode.</summary>
    /// <exception cref="InvalidDataException">The file holds weights only: build the network by name and load them into it.</exception>
    public ResNet CreateNetwork(Device? device = null)
    {
        if (Spec is null)
            throw new InvalidDataException($"'{Path}' holds weights only, no network description. Build the network by name (ModelZoo.Create) and load them with WeightFiles.Load.");
        var model = new ResNet(Spec);
        var (missing, unexpected) = model.load_state_dict(Weights, strict: false);
        if (missing.Count > 0 || unexpected.Count > 0)
        {
            model.Dispose();
            throw new InvalidDataException($"The weights of '{Path}' do not fit {Spec.Name}: missing [{string.Join(", ", missing)}], unexpected [{string.Join(", ", unexpected)}].");
        }
        model.eval();
        if (device is not null) model.to(device);
        return model;
    }

    /// <summary>A classifier of image files with this network, its class names and its preprocessing.</summary>
    public ImageClassifier CreateClassifier(Device? device = null) =>
        new(CreateNetwork(device), ClassNames!, Preprocessing!, device, HasTrainedClassifier);

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var t in Weights.Values) t.Dispose();
    }
}
