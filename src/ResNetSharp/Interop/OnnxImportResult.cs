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
    /// <summary>The description inferred from the graph.</summary>
    public NetworkSpec Spec => Network.Spec;
}
