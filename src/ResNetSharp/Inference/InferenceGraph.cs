using ResNetSharp.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace ResNetSharp.Inference;

/// <summary>A weight as plain numbers: row-major float32 values and their shape.</summary>
internal sealed record WeightData(long[] Shape, float[] Values)
{
    public static WeightData Of(Tensor t)
    {
        using var scope = NewDisposeScope();
        var values = t.detach().cpu().to_type(ScalarType.Float32).contiguous().data<float>().ToArray();
        return new WeightData(t.shape, values);
    }

    public long Channels => Shape[0];
}

internal abstract record GraphOp(string Output);

/// <summary>Square convolution without groups; <see cref="Bias"/> is set once a BN has been folded into it.</summary>
internal sealed record ConvOp(string Output, string Input, WeightData Weight, WeightData? Bias, int Stride, int Padding) : GraphOp(Output)
{
    public int Kernel => (int)Weight.Shape[2];
}

/// <summary>Eval-mode BN; <see cref="FollowsConv"/> marks the conv→BN pairs of the module tree that folding may merge.</summary>
internal sealed record BatchNormOp(string Output, string Input, WeightData Scale, WeightData Shift, WeightData Mean, WeightData Variance, double Epsilon, bool FollowsConv) : GraphOp(Output);

internal sealed record ReluOp(string Output, string Input) : GraphOp(Output);

internal sealed record AddOp(string Output, string Left, string Right) : GraphOp(Output);

/// <summary>The ImageNet stem's 3x3 max pool, stride 2, padding 1.</summary>
internal sealed record MaxPoolOp(string Output, string Input) : GraphOp(Output);

/// <summary>Option A: every <see cref="Stride"/>-th pixel, then <see cref="ExtraChannels"/> zero channels at the end.</summary>
internal sealed record ZeroPadShortcutOp(string Output, string Input, int Stride, int ExtraChannels) : GraphOp(Output);

/// <summary>Global average pool flattened to [N, C].</summary>
internal sealed record GlobalPoolOp(string Output, string Input) : GraphOp(Output);

internal sealed record LinearOp(string Output, string Input, WeightData Weight, WeightData Bias) : GraphOp(Output);

/// <summary>
/// A network of the paper as a flat list of operations in execution order, built from the
/// <see cref="NetworkSpec"/> and the state dict. ONNX export writes it; BN folding rewrites it;
/// <see cref="InferenceNetwork"/> runs it. Tensor names are the module paths of torchvision.
/// </summary>
internal sealed record InferenceGraph(NetworkSpec Spec, IReadOnlyList<GraphOp> Ops)
{
    public const string Input = "input";
    public const string Features = "features";
    public const string Logits = "logits";

    /// <summary>Reads the network's operations in the order its forward runs them (eval mode).</summary>
    public static InferenceGraph From(ResNet net)
    {
        var spec = net.Spec;
        if (spec.HasUnitVariant)
            throw new ArgumentException(
                $"{spec.Name} has {(spec.Activation != ActivationPlacement.Original ? UnitVariants.Describe(spec.Activation) : spec.ShortcutVariant!.ToString())} units, " +
                "which the inference graph (ONNX export, BN folding, the inference engine) does not build; run it with the TorchSharp module instead.");
        var state = net.state_dict();
        var builder = new Builder(spec, state);
        return new InferenceGraph(spec, builder.Build());
    }

    public int ConvCount => Ops.Count(o => o is ConvOp);

    public int BatchNormCount => Ops.Count(o => o is BatchNormOp);

    sealed class Builder(NetworkSpec spec, Dictionary<string, Tensor> state)
    {
        readonly List<GraphOp> ops = [];

        WeightData W(string key) =>
            state.TryGetValue(key, out var t) ? WeightData.Of(t) : throw new InvalidOperationException($"The network has no tensor '{key}' that {spec.Name} needs.");

        string Conv(string name, string input, int stride, int padding)
        {
            ops.Add(new ConvOp(name, input, W(name + ".weight"), null, stride, padding));
            return name;
        }

        string Bn(string name, string input, bool followsConv)
        {
            ops.Add(new BatchNormOp(name, input, W(name + ".weight"), W(name + ".bias"), W(name + ".running_mean"), W(name + ".running_var"), 1e-5, followsConv));
            return name;
        }

        string Relu(string input)
        {
            var name = input + ".relu";
            ops.Add(new ReluOp(name, input));
            return name;
        }

        string Add(string path, string left, string right)
        {
            ops.Add(new AddOp(path + ".add", left, right));
            return path + ".add";
        }

        public List<GraphOp> Build()
        {
            var x = Conv("conv1", Input, spec.Stem == StemKind.ImageNet ? 2 : 1, spec.Stem == StemKind.ImageNet ? 3 : 1);
            if (!spec.PreActivation || spec.Stem == StemKind.ImageNet) x = Relu(Bn("bn1", x, followsConv: true));
            if (spec.Stem == StemKind.ImageNet)
            {
                ops.Add(new MaxPoolOp("maxpool", x));
                x = "maxpool";
            }
            foreach (var unit in spec.Units()) x = spec.PreActivation ? PreActUnit(unit, x) : Unit(unit, x);
            if (spec.PreActivation) x = Relu(Bn("norm", x, followsConv: false));
            ops.Add(new GlobalPoolOp(Features, x));
            ops.Add(new LinearOp(Logits, Features, W("fc.weight"), W("fc.bias")));
            return ops;
        }

        // Blocks.cs: conv-BN-ReLU ... conv-BN, add shortcut, ReLU (eq. 1).
        string Unit(UnitLayout unit, string x)
        {
            var path = unit.Path;
            string y;
            if (spec.Block == BlockKind.Basic)
            {
                y = Relu(Bn(path + ".bn1", Conv(path + ".conv1", x, unit.FirstConvStride, 1), true));
                y = Bn(path + ".bn2", Conv(path + ".conv2", y, unit.SecondConvStride, 1), true);
            }
            else
            {
                y = Relu(Bn(path + ".bn1", Conv(path + ".conv1", x, unit.FirstConvStride, 0), true));
                y = Relu(Bn(path + ".bn2", Conv(path + ".conv2", y, unit.SecondConvStride, 1), true));
                y = Bn(path + ".bn3", Conv(path + ".conv3", y, 1, 0), true);
            }
            if (spec.Residual) y = Add(path, y, Shortcut(unit, x, x));
            return Relu(y);
        }

        // PreActBlocks.cs: BN-ReLU-conv ...; identity and option A read x, a projection reads the pre-activation.
        string PreActUnit(UnitLayout unit, string x)
        {
            var path = unit.Path;
            var pre = Relu(Bn(path + ".bn1", x, false));
            string y;
            if (spec.Block == BlockKind.Basic)
            {
                y = Conv(path + ".conv1", pre, unit.FirstConvStride, 1);
                y = Conv(path + ".conv2", Relu(Bn(path + ".bn2", y, true)), unit.SecondConvStride, 1);
            }
            else
            {
                y = Conv(path + ".conv1", pre, unit.FirstConvStride, 0);
                y = Conv(path + ".conv2", Relu(Bn(path + ".bn2", y, true)), unit.SecondConvStride, 1);
                y = Conv(path + ".conv3", Relu(Bn(path + ".bn3", y, true)), 1, 0);
            }
            return spec.Residual ? Add(path, y, Shortcut(unit, x, pre)) : y;
        }

        // The unit's shortcut as NetworkSpec.Units gives it (section 3.3), as Shortcuts.For builds it.
        string Shortcut(UnitLayout unit, string x, string pre)
        {
            var path = unit.Path;
            switch (unit.Shortcut)
            {
                case ShortcutKind.ZeroPad:
                    ops.Add(new ZeroPadShortcutOp(path + ".downsample", x, unit.Stride, unit.OutChannels - unit.InChannels));
                    return path + ".downsample";
                case ShortcutKind.Projection:
                    var projected = Conv(path + ".downsample.0", spec.PreActivation ? pre : x, unit.Stride, 0);
                    return spec.PreActivation ? projected : Bn(path + ".downsample.1", projected, true);
                default:
                    return x;
            }
        }
    }
}
