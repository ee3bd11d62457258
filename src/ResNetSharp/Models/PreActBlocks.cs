using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace ResNetSharp.Models;

// Identity Mappings in Deep Residual Networks (He et al., ECCV 2016), Fig. 1(b): the order of
// operations differs from the original units, so these live apart (as timm keeps them apart).
// A projection shortcut reads the pre-activated input, as the authors' code does.

/// <summary>Pre-activation basic unit: BN-ReLU-conv3x3, BN-ReLU-conv3x3, plus an untouched identity.</summary>
public sealed class PreActBasicBlock : Module<Tensor, Tensor>, IResidualUnit
{
    readonly Module<Tensor, Tensor> bn1, conv1, bn2, conv2;
    readonly Module<Tensor, Tensor>? downsample;
    readonly bool residual;

    internal PreActBasicBlock(NetworkSpec spec, UnitLayout unit) : base(nameof(PreActBasicBlock))
    {
        bn1 = BatchNorm2d(unit.InChannels);
        conv1 = Units.Conv3x3(unit.InChannels, unit.Width, unit.FirstConvStride);
        bn2 = BatchNorm2d(unit.Width);
        conv2 = Units.Conv3x3(unit.Width, unit.Width, unit.SecondConvStride);
        downsample = Shortcuts.For(spec, unit);
        residual = spec.Residual;
        Units.Register(this, ("bn1", bn1), ("conv1", conv1), ("bn2", bn2), ("conv2", conv2), ("downsample", downsample));
    }

    Tensor IResidualUnit.LastWeight => ((Conv2d)conv2).weight!;

    /// <inheritdoc />
    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var pre = bn1.call(x).relu();
        var y = MixedPrecision.Conv(conv1, pre);
        y = MixedPrecision.Conv(conv2, bn2.call(y).relu_());
        if (residual) y = y.add_(PreActShortcut.Apply(downsample, x, pre));
        return y.MoveToOuterDisposeScope();
    }
}

/// <summary>Pre-activation bottleneck: BN-ReLU-conv1x1, BN-ReLU-conv3x3, BN-ReLU-conv1x1 (x4), plus identity.</summary>
public sealed class PreActBottleneck : Module<Tensor, Tensor>, IResidualUnit
{
    readonly Module<Tensor, Tensor> bn1, conv1, bn2, conv2, bn3, conv3;
    readonly Module<Tensor, Tensor>? downsample;
    readonly bool residual;

    internal PreActBottleneck(NetworkSpec spec, UnitLayout unit) : base(nameof(PreActBottleneck))
    {
        bn1 = BatchNorm2d(unit.InChannels);
        conv1 = Units.Conv1x1(unit.InChannels, unit.Width, unit.FirstConvStride);
        bn2 = BatchNorm2d(unit.Width);
        conv2 = Units.Conv3x3(unit.Width, unit.Width, unit.SecondConvStride);
        bn3 = BatchNorm2d(unit.Width);
        conv3 = Units.Conv1x1(unit.Width, unit.OutChannels);
        downsample = Shortcuts.For(spec, unit);
        residual = spec.Residual;
        Units.Register(this, ("bn1", bn1), ("conv1", conv1), ("bn2", bn2), ("conv2", conv2), ("bn3", bn3), ("conv3", conv3), ("downsample", downsample));
    }

    Tensor IResidualUnit.LastWeight => ((Conv2d)conv3).weight!;

    /// <inheritdoc />
    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var pre = bn1.call(x).relu();
        var y = MixedPrecision.Conv(conv1, pre);
        y = MixedPrecision.Conv(conv2, bn2.call(y).relu_());
        y = MixedPrecision.Conv(conv3, bn3.call(y).relu_());
        if (residual) y = y.add_(PreActShortcut.Apply(downsample, x, pre));
        return y.MoveToOuterDisposeScope();
    }
}

static class PreActShortcut
{
    /// <summary>Identity reads the raw input; option A pads it; a projection reads the pre-activated input.</summary>
    public static Tensor Apply(Module<Tensor, Tensor>? downsample, Tensor x, Tensor pre) => downsample switch
    {
        null => x,
        ZeroPadShortcut a => a.call(x),
        _ => downsample.call(pre),
    };
}
