using ResNetSharp.Models;
using ResNetSharp.Runtime;
using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace ResNetSharp.Inference;

/// <summary>
/// An inference-only network: the operations of a <see cref="ResNet"/> in eval mode with conv→BN pairs
/// folded (see <see cref="BatchNormFolding.Fold(ResNet)"/>). No training mode, no gradients; weights are buffers.
/// </summary>
public sealed class InferenceNetwork : Module<Tensor, Tensor>
{
    readonly IReadOnlyList<GraphOp> ops;

    /// <summary>The description of the network this was made from.</summary>
    public NetworkSpec Spec { get; }

    /// <summary>Convolutions left (each with a bias where a BN was folded into it).</summary>
    public int ConvolutionCount { get; }

    /// <summary>BN layers that could not be folded (pre-activation BNs that follow an addition).</summary>
    public int BatchNormCount { get; }

    internal InferenceNetwork(InferenceGraph graph) : base(TorchRuntime.Loaded(graph.Spec.Name + "-inference"))
    {
        Spec = graph.Spec;
        ops = graph.Ops;
        ConvolutionCount = graph.ConvCount;
        BatchNormCount = graph.BatchNormCount;
        foreach (var op in ops)
        {
            switch (op)
            {
                case ConvOp c:
                    Keep(c.Output + ".weight", c.Weight);
                    if (c.Bias is not null) Keep(c.Output + ".bias", c.Bias);
                    break;
                case BatchNormOp b:
                    Keep(b.Output + ".weight", b.Scale);
                    Keep(b.Output + ".bias", b.Shift);
                    Keep(b.Output + ".running_mean", b.Mean);
                    Keep(b.Output + ".running_var", b.Variance);
                    break;
                case LinearOp l:
                    Keep("fc.weight", l.Weight);
                    Keep("fc.bias", l.Bias);
                    break;
            }
        }
        eval();
    }

    void Keep(string key, WeightData data)
    {
        // Buffer names may not contain dots. Buffers are looked up on every forward so that .to(device/dtype) applies.
        register_buffer(key.Replace('.', '_'), tensor(data.Values, data.Shape));
    }

    /// <summary>Pooled features [N, FeatureSize].</summary>
    public Tensor ForwardFeatures(Tensor x) => Run(x, InferenceGraph.Features);

    /// <summary>Logits [N, Classes] for images [N, 3, H, W].</summary>
    public override Tensor forward(Tensor x) => Run(x, InferenceGraph.Logits);

    Tensor Run(Tensor x, string output)
    {
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var buffers = named_buffers().ToDictionary(b => b.name, b => b.buffer);
        Tensor W(string key) => buffers[key.Replace('.', '_')];
        Tensor? Get(string key) => buffers.GetValueOrDefault(key.Replace('.', '_'));
        var values = new Dictionary<string, Tensor> { [InferenceGraph.Input] = x };
        foreach (var op in ops)
        {
            values[op.Output] = op switch
            {
                ConvOp c => functional.conv2d(values[c.Input], W(c.Output + ".weight"), Get(c.Output + ".bias"),
                    strides: [c.Stride, c.Stride], padding: [c.Padding, c.Padding]),
                BatchNormOp b => functional.batch_norm(values[b.Input], W(b.Output + ".running_mean"), W(b.Output + ".running_var"),
                    W(b.Output + ".weight"), W(b.Output + ".bias"), training: false, eps: b.Epsilon),
                ReluOp r => functional.relu(values[r.Input]),
                AddOp a => values[a.Left] + values[a.Right],
                MaxPoolOp m => functional.max_pool2d(values[m.Input], kernel_size: 3, stride: 2, padding: 1),
                ZeroPadShortcutOp z => ZeroPad(values[z.Input], z),
                GlobalPoolOp g => functional.adaptive_avg_pool2d(values[g.Input], [1, 1]).flatten(1),
                LinearOp l => functional.linear(values[l.Input], W("fc.weight"), W("fc.bias")),
                _ => throw new NotSupportedException(op.GetType().Name),
            };
            if (op.Output == output) return values[op.Output].MoveToOuterDisposeScope();
        }
        throw new InvalidOperationException($"The graph has no output '{output}'.");
    }

    static Tensor ZeroPad(Tensor x, ZeroPadShortcutOp z)
    {
        var y = z.Stride == 1 ? x : x[.., .., TensorIndex.Slice(null, null, z.Stride), TensorIndex.Slice(null, null, z.Stride)];
        return z.ExtraChannels > 0 ? functional.pad(y, [0, 0, 0, 0, 0, z.ExtraChannels]) : y;
    }
}
