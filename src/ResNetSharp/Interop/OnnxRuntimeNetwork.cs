using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using ResNetSharp.Inference;
using ResNetSharp.Interop;
using ResNetSharp.Models;
using static TorchSharp.torch;
using Tensor = TorchSharp.torch.Tensor;

namespace ResNetSharp.Interop;

/// <summary>
/// A trained network run by ONNX Runtime: its own exported graph (<see cref="OnnxExport"/>, BN folded into the
/// convolutions) in one CPU session with as many threads as libtorch. At small batches ONNX Runtime's per-operator
/// overhead is far below libtorch's through TorchSharp, so fp32 inference on a CPU goes through it; the libtorch path
/// stays for bf16, other devices and training. Inputs and outputs are TorchSharp tensors (copied at the boundary).
/// </summary>
public sealed class OnnxRuntimeNetwork : IInferenceEngine
{
    readonly InferenceSession session;
    readonly SessionOptions options;

    /// <summary>The description of the network this was exported from.</summary>
    public NetworkSpec Spec { get; }

    /// <summary>Exports <paramref name="net"/> (its current weights) and opens a session on it.</summary>
    public OnnxRuntimeNetwork(ResNet net, int? threads = null)
    {
        ArgumentNullException.ThrowIfNull(net);
        Spec = net.Spec;
        var bytes = OnnxExport.ToBytes(net, new OnnxExportOptions { FoldBatchNorm = true });
        options = new SessionOptions { IntraOpNumThreads = threads ?? get_num_threads(), GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL };
        session = new InferenceSession(bytes, options);
    }

    /// <summary>Logits [N, Classes] for normalised images [N, 3, H, W] (fp32, on the CPU).</summary>
    public Tensor Logits(Tensor images) => Run(images, InferenceGraph.Logits);

    /// <summary>Pooled features [N, FeatureSize].</summary>
    public Tensor Features(Tensor images) => Run(images, InferenceGraph.Features);

    Tensor Run(Tensor images, string output)
    {
        if (images.dim() != 4) throw new ArgumentException($"Expected images [N, 3, H, W], got [{string.Join(", ", images.shape)}].");
        float[] values;
        using (var plain = images.to(ScalarType.Float32).cpu().contiguous())
            values = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(plain.bytes).ToArray(); // one copy, not an element-wise walk
        var shape = images.shape.Select(d => (int)d).ToArray();
        var input = NamedOnnxValue.CreateFromTensor(InferenceGraph.Input, new DenseTensor<float>(values, shape));
        using var results = session.Run([input], [output]);
        var result = results[0].AsTensor<float>();
        return tensor(result.ToArray(), result.Dimensions.ToArray().Select(d => (long)d).ToArray());
    }

    /// <inheritdoc />
    public void Dispose()
    {
        session.Dispose();
        options.Dispose();
    }
}
