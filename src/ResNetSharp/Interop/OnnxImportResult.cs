using ResNetSharp.Data;
using ResNetSharp.Models;

namespace ResNetSharp.Interop;

/// <summary>What <see cref="OnnxImport"/> made of an ONNX graph.</summary>
/// <param name="Network">Our network with the graph's weights, in eval mode.</param>
/// <param name="OutputName">The graph output that the network reproduces.</param>
/// <param name="OutputIsLogits">
/// True when the graph ends in a classifier (compare with <see cref="ResNet.forward"/>); false for a feature
/// extractor ending at the pool (compare with <see cref="ResNet.ForwardFeatures"/>; the classifier is then untrained).
/// </param>
/// <param name="Notes">What was inferred or adapted on the way (asymmetric pads, epsilons, biases), one line each.</param>
public sealed record OnnxImportResult(ResNet Network, string OutputName, bool OutputIsLogits, IReadOnlyList<string> Notes)
{
    /// <summary>The preprocessing recorded in the model's metadata (ours: <c>preprocessing.mean/std/input_size</c>), or null when it has none.</summary>
    public ImagePreprocessing? Preprocessing { get; init; }

    /// <summary>Class names recorded in the model's metadata (<c>class_names</c>), or null.</summary>
    public IReadOnlyList<string>? ClassNames { get; init; }

    /// <summary>The preprocessing to use: the recorded one, else the convention of the stem (torchvision's ImageNet mean/std at 224, CIFAR-10's at 32).</summary>
    public ImagePreprocessing EffectivePreprocessing => Preprocessing ?? ImagePreprocessing.ConventionFor(Spec.Stem);

    /// <summary>The class names to use: the recorded ones, else the class indexes.</summary>
    public IReadOnlyList<string> EffectiveClassNames => ClassNames ?? [.. Enumerable.Range(0, Spec.Classes).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture))];

    /// <summary>The description inferred from the graph.</summary>
    public NetworkSpec Spec => Network.Spec;
}
