using ResNetSharp.Data;

namespace ResNetSharp.Interop;

/// <summary>How <see cref="OnnxExport"/> writes a network.</summary>
public sealed record OnnxExportOptions
{
    /// <summary>Fold every conv→BN pair into one convolution with a bias (see <see cref="Inference.BatchNormFolding"/>).</summary>
    public bool FoldBatchNorm { get; init; }

    /// <summary>ONNX opset to declare, 13 to 21; every operator used has the same meaning across them.</summary>
    public int Opset { get; init; } = 13;

    /// <summary>
    /// Fixed input side length, or null (default) for symbolic height and width: the networks are fully
    /// convolutional up to the global pool, so any size works. The batch dimension is always symbolic.
    /// </summary>
    public int? InputSize { get; init; }

    /// <summary>Preprocessing to record in metadata; null picks ImageNet's or CIFAR-10's by the network's stem.</summary>
    public ImagePreprocessing? Preprocessing { get; init; }

    /// <summary>Class names in logit order, recorded in metadata when given (must match the number of classes).</summary>
    public IReadOnlyList<string>? ClassNames { get; init; }
}
