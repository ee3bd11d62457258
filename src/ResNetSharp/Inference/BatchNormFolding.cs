using ResNetSharp.Models;

namespace ResNetSharp.Inference;

/// <summary>
/// Folds each convolution and the BN that follows it into one convolution with a bias, for inference:
/// in eval mode BN is the per-channel affine map y = γ (x − μ) / √(σ² + ε) + β, so
/// W' = W · γ/√(σ² + ε) and b' = (b − μ) · γ/√(σ² + ε) + β. BNs that do not follow a convolution
/// (the first BN of a pre-activation unit, the final <c>norm</c>) stay as eval-mode BNs.
/// </summary>
public static class BatchNormFolding
{
    /// <summary>
    /// An inference-only copy of <paramref name="net"/> (eval-mode BN statistics) with every conv→BN pair folded.
    /// The original is not changed; the copy's weights do not follow later changes to it.
    /// </summary>
    public static InferenceNetwork Fold(ResNet net)
    {
        ArgumentNullException.ThrowIfNull(net);
        return new InferenceNetwork(Fold(InferenceGraph.From(net)));
    }

    internal static InferenceGraph Fold(InferenceGraph graph)
    {
        var producers = graph.Ops.ToDictionary(o => o.Output);
        var uses = new Dictionary<string, int>();
        foreach (var op in graph.Ops)
        {
            foreach (var input in Inputs(op)) uses[input] = uses.GetValueOrDefault(input) + 1;
        }
        var folded = new Dictionary<string, ConvOp>();
        foreach (var op in graph.Ops)
        {
            if (op is BatchNormOp { FollowsConv: true } bn && producers.TryGetValue(bn.Input, out var p) && p is ConvOp conv && uses[conv.Output] == 1)
                folded[conv.Output] = Merge(conv, bn);
        }
        var ops = new List<GraphOp>();
        foreach (var op in graph.Ops)
        {
            if (op is ConvOp c && folded.ContainsKey(c.Output)) continue;
            ops.Add(op is BatchNormOp b && folded.TryGetValue(b.Input, out var merged) ? merged : op);
        }
        return graph with { Ops = ops };
    }

    static ConvOp Merge(ConvOp conv, BatchNormOp bn)
    {
        var outChannels = (int)conv.Weight.Channels;
        var perChannel = conv.Weight.Values.Length / outChannels;
        var weight = new float[conv.Weight.Values.Length];
        var bias = new float[outChannels];
        for (var o = 0; o < outChannels; o++)
        {
            // Double precision so the fold adds no rounding beyond the final float32 store.
            var factor = bn.Scale.Values[o] / Math.Sqrt(bn.Variance.Values[o] + bn.Epsilon);
            for (var i = 0; i < perChannel; i++) weight[o * perChannel + i] = (float)(conv.Weight.Values[o * perChannel + i] * factor);
            var b = conv.Bias?.Values[o] ?? 0.0;
            bias[o] = (float)((b - bn.Mean.Values[o]) * factor + bn.Shift.Values[o]);
        }
        return conv with { Output = bn.Output, Weight = new WeightData(conv.Weight.Shape, weight), Bias = new WeightData([outChannels], bias) };
    }

    internal static IEnumerable<string> Inputs(GraphOp op) => op switch
    {
        ConvOp c => [c.Input],
        BatchNormOp b => [b.Input],
        ReluOp r => [r.Input],
        AddOp a => [a.Left, a.Right],
        MaxPoolOp m => [m.Input],
        ZeroPadShortcutOp z => [z.Input],
        GlobalPoolOp g => [g.Input],
        LinearOp l => [l.Input],
        _ => throw new NotSupportedException(op.GetType().Name),
    };
}
