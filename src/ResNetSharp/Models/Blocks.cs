using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace ResNetSharp.Models;

/// <summary>A residual unit: knows the weight that zero-initialisation empties so the unit starts as an identity.</summary>
interface IResidualUnit
{
    Tensor LastWeight { get; }
}

/// <summary>Builds a residual unit; both kinds take the same arguments, so the network takes the kind as a value.</summary>
static class Units
{
    public static Module<Tensor, Tensor> Create(NetworkSpec spec, UnitLayout unit) =>
        spec.HasUnitVariant ? new VariantUnit(spec, unit) : (spec.Block, spec.PreActivation) switch
        {
            (BlockKind.Basic, false) => new BasicBlock(spec, unit),
            (BlockKind.Bottleneck, false) => new Bottleneck(spec, unit),
            (BlockKind.Basic, true) => new PreActBasicBlock(spec, unit),
            _ => new PreActBottleneck(spec, unit),
        };

    /// <summary>Registers children in order (the order is the state dict's); null ones (no shortcut) are skipped.</summary>
    public static void Register(Module owner, params (string Name, Module? Child)[] children)
    {
        foreach (var (name, child) in children)
            if (child is not null) owner.register_module(name, child);
    }

    public static Module<Tensor, Tensor> Conv3x3(int inChannels, int outChannels, int stride) =>
        Conv2d(inChannels, outChannels, kernel_size: 3, stride: stride, padding: 1, bias: false);

    public static Module<Tensor, Tensor> Conv1x1(int inChannels, int outChannels, int stride = 1) =>
        Conv2d(inChannels, outChannels, kernel_size: 1, stride: stride, bias: false);
}

/// <summary>Two 3x3 layers (Fig. 5 left): conv-BN-ReLU, conv-BN, add shortcut, ReLU (eq. 1).</summary>
public sealed class BasicBlock : Module<Tensor, Tensor>, IResidualUnit
{
    readonly Module<Tensor, Tensor> conv1, bn1, conv2, bn2;
    readonly Module<Tensor, Tensor>? downsample;
    readonly bool residual;

    internal BasicBlock(NetworkSpec spec, UnitLayout unit) : base(nameof(BasicBlock))
    {
        conv1 = Units.Conv3x3(unit.InChannels, unit.Width, unit.FirstConvStride);
        bn1 = BatchNorm2d(unit.Width);
        conv2 = Units.Conv3x3(unit.Width, unit.Width, unit.SecondConvStride);
        bn2 = BatchNorm2d(unit.Width);
        downsample = Shortcuts.For(spec, unit);
        residual = spec.Residual;
        Units.Register(this, ("conv1", conv1), ("bn1", bn1), ("conv2", conv2), ("bn2", bn2), ("downsample", downsample));
    }

    Tensor IResidualUnit.LastWeight => ((BatchNorm2d)bn2).weight!;

    /// <inheritdoc />
    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var y = bn1.call(MixedPrecision.Conv(conv1, x));
        y = bn2.call(MixedPrecision.Conv(conv2, y.relu_()));
        if (residual) y = y.add_(downsample is null ? x : downsample.call(x));
        return y.relu_().MoveToOuterDisposeScope();
    }
}

/// <summary>Bottleneck (Fig. 5 right): 1x1 reduce, 3x3, 1x1 expand x4, each with BN; add shortcut; ReLU.</summary>
public sealed class Bottleneck : Module<Tensor, Tensor>, IResidualUnit
{
    readonly Module<Tensor, Tensor> conv1, bn1, conv2, bn2, conv3, bn3;
    readonly Module<Tensor, Tensor>? downsample;
    readonly bool residual;

    internal Bottleneck(NetworkSpec spec, UnitLayout unit) : base(nameof(Bottleneck))
    {
        conv1 = Units.Conv1x1(unit.InChannels, unit.Width, unit.FirstConvStride);
        bn1 = BatchNorm2d(unit.Width);
        conv2 = Units.Conv3x3(unit.Width, unit.Width, unit.SecondConvStride);
        bn2 = BatchNorm2d(unit.Width);
        conv3 = Units.Conv1x1(unit.Width, unit.OutChannels);
        bn3 = BatchNorm2d(unit.OutChannels);
        downsample = Shortcuts.For(spec, unit);
        residual = spec.Residual;
        Units.Register(this, ("conv1", conv1), ("bn1", bn1), ("conv2", conv2), ("bn2", bn2), ("conv3", conv3), ("bn3", bn3), ("downsample", downsample));
    }

    Tensor IResidualUnit.LastWeight => ((BatchNorm2d)bn3).weight!;

    /// <inheritdoc />
    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var y = bn1.call(MixedPrecision.Conv(conv1, x)).relu_();
        y = bn2.call(MixedPrecision.Conv(conv2, y));
        y = bn3.call(MixedPrecision.Conv(conv3, y.relu_()));
        if (residual) y = y.add_(downsample is null ? x : downsample.call(x));
        return y.relu_().MoveToOuterDisposeScope();
    }
}
