using static TorchSharp.torch;

namespace ResNetSharp.Models;

/// <summary>
/// Another engine that runs a network's forward for an image classifier (e.g. ONNX Runtime on its exported
/// graph, supplied by the Interop floor): logits and pooled features of a batch of preprocessed images.
/// </summary>
public interface IInferenceEngine : IDisposable
{
    /// <summary>Logits [N, classes] of preprocessed images [N, 3, H, W].</summary>
    Tensor Logits(Tensor images);

    /// <summary>Pooled features [N, C] of preprocessed images [N, 3, H, W].</summary>
    Tensor Features(Tensor images);
}
