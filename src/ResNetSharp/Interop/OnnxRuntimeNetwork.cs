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
/// stays for bf16, other devices and training. Inputs and outputs are TorchSharp tensors, shared with ONNX Runtime without copies.
/// </summary>
public sealed class OnnxRuntimeNetwork : IInferenceEngine
{
    readonly InferenceSession session;
    readonly SessionOptions options;
    readonly RunOptions runOptions = new();

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

    // No copies at the boundary: ONNX Runtime reads the input where libtorch keeps it and writes the output straight
    // into a new libtorch tensor (OrtValues over their memory), asking only for the output wanted.
    Tensor Run(Tensor images, string output)
    {
        if (images.dim() != 4) throw new ArgumentException($"Expected images [N, 3, H, W], got [{string.Join(", ", images.shape)}].");
        // a float, contiguous CPU tensor is read where it is; anything else once converted (no intermediate handles left behind)
        using var converted = Converted(images);
        var plain = converted ?? images;
        var batch = plain.shape[0];
        var result = empty([batch, output == InferenceGraph.Logits ? Spec.Classes : Spec.FeatureSize], ScalarType.Float32);
        try
        {
            using var input = OrtValue.CreateTensorValueWithData(OrtMemoryInfo.DefaultInstance, TensorElementType.Float, plain.shape,
                Address(plain), plain.numel() * sizeof(float));
            using var written = OrtValue.CreateTensorValueWithData(OrtMemoryInfo.DefaultInstance, TensorElementType.Float, result.shape,
                Address(result), result.numel() * sizeof(float));
            session.Run(runOptions, [InferenceGraph.Input], [input], [output], [written]);
            return result;
        }
        catch
        {
            result.Dispose();
            throw;
        }
    }

    static Tensor? Converted(Tensor images)
    {
        if (images.dtype == ScalarType.Float32 && images.device_type == TorchSharp.DeviceType.CPU && images.is_contiguous()) return null;
        using var moved = images.to(ScalarType.Float32, CPU);
        return moved.contiguous();
    }

    // libtorch's CPU memory does not move: its span's address stays valid while the tensor lives
    static unsafe nint Address(Tensor t)
    {
        fixed (byte* p = t.bytes) return (nint)p;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        session.Dispose();
        options.Dispose();
        runOptions.Dispose();
    }
}
