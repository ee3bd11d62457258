using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using ResNetSharp.Models;
using TorchSharp;
using static TorchSharp.torch;
using Tensor = TorchSharp.torch.Tensor;

namespace ResNetSharp.Tests.Interop;

/// <summary>Runs ONNX models with ONNX Runtime and prepares networks whose BN layers matter.</summary>
static class OnnxRunner
{
    /// <summary>The named output of <paramref name="model"/> for <paramref name="x"/>, as a tensor of the same shape.</summary>
    public static Tensor Run(byte[] model, Tensor x, string output, string? inputName = null)
    {
        using var options = Options();
        using var session = new InferenceSession(model, options);
        return Run(session, x, output, inputName);
    }

    /// <summary>
    /// Graph optimisations off: ONNX Runtime then computes the graph as written (no conv+BN fusion of its own),
    /// so a difference measures our export, not its rewrites.
    /// </summary>
    public static SessionOptions Options() => new() { IntraOpNumThreads = 2, GraphOptimizationLevel = GraphOptimizationLevel.ORT_DISABLE_ALL };

    public static Tensor Run(InferenceSession session, Tensor x, string output, string? inputName = null)
    {
        var data = x.contiguous().data<float>().ToArray();
        var input = new DenseTensor<float>(data, x.shape.Select(d => (int)d).ToArray());
        using var results = session.Run([NamedOnnxValue.CreateFromTensor(inputName ?? session.InputMetadata.Keys.First(), input)], [output]);
        var result = results.First().AsTensor<float>();
        return tensor(result.ToArray(), result.Dimensions.ToArray().Select(d => (long)d).ToArray());
    }

    /// <summary>
    /// Random BN scales and shifts, then running statistics measured on one batch of random images, so that
    /// eval-mode BN is far from identity (means ≠ 0, variances ≠ 1) while activations stay of order 1 as in a trained net.
    /// </summary>
    public static ResNet Randomised(ResNet net, int seed = 1)
    {
        using var noGrad = no_grad();
        var generator = new Generator((ulong)seed);
        foreach (var (key, t) in net.named_parameters())
        {
            if (!key.Contains("bn", StringComparison.Ordinal) && !key.Contains("norm", StringComparison.Ordinal) && !key.Contains("downsample.1", StringComparison.Ordinal)) continue;
            if (key.EndsWith("weight", StringComparison.Ordinal)) t.copy_(rand(t.shape, generator: generator) + 0.5);
            if (key.EndsWith("bias", StringComparison.Ordinal)) t.copy_(randn(t.shape, generator: generator) * 0.2);
        }
        var size = net.Spec.Stem == StemKind.ImageNet ? 64 : 32;
        var norms = net.modules().OfType<TorchSharp.Modules.BatchNorm2d>().ToList();
        foreach (var bn in norms) bn.momentum = 1.0;
        net.train();
        net.call(randn([4, 3, size, size], generator: generator)).Dispose();
        foreach (var bn in norms) bn.momentum = 0.1;
        net.eval();
        return net;
    }

    /// <summary>
    /// 1e-3 of the reference's largest magnitude (absolute 1e-3 below magnitude 1), the relative tolerance of the
    /// ONNX backend test suite. Two correct float32 engines sum in different orders, and the gap grows with depth and
    /// with the CPU's kernels: ResNet-50 features differed by 1.1e-4 of their size on the CI machine, less on ours. A wrong operator, weight or layout moves outputs by a large fraction of their size.
    /// </summary>
    public static float Tolerance(Tensor reference) => 1e-3f * Math.Max(1f, reference.abs().max().item<float>());

    public static float MaxAbsDifference(Tensor a, Tensor b)
    {
        Assert.Equal(a.shape, b.shape);
        return (a - b).abs().max().item<float>();
    }
}
