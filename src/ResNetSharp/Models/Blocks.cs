using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace ResNetSharp.Models;

/// <summary>Receives a 3x3 layer's response (after BN, before ReLU and addition; Fig. 7). Must not keep the tensor.</summary>
public delegate void ResponseObserver(string layer, Tensor response);

/// <summary>A residual unit: knows the weight that zero-initialisation empties so the unit starts as an identity.</summary>
interface IResidualUnit
{
    Tensor LastWeight { get; }
}

/// <summary>Builds a residual unit; both kinds take the same arguments, so the network takes the kind as a value.</summary>
static class Units
{
    public static Module<Tensor, Tensor> Create(NetworkSpec spec, int inChannels, int width, int stride, string path, ResNet owner) =>
        (spec.Block, spec.PreActivation) switch
        {
            (BlockKind.Basic, false) => new BasicBlock(spec, inChannels, width, stride, path, owner),
            (BlockKind.Bottleneck, false) => new Bottleneck(spec, inChannels, width, stride, path, owner),
            (BlockKind.Basic, true) => new PreActBasicBlock(spec, inChannels, width, stride),
            _ => new PreActBottleneck(spec, inChannels, width, stride),
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
    readonly string path;
    readonly ResNet owner;

    internal BasicBlock(NetworkSpec spec, int inChannels, int width, int stride, string path, ResNet owner) : base(nameof(BasicBlock))
    {
        conv1 = Units.Conv3x3(inChannels, width, stride);
        bn1 = BatchNorm2d(width);
        conv2 = Units.Conv3x3(width, width, 1);
        bn2 = BatchNorm2d(width);
        downsample = Shortcuts.For(spec, inChannels, width, stride);
        residual = spec.Residual;
        this.path = path;
        this.owner = owner;
        Units.Register(this, ("conv1", conv1), ("bn1", bn1), ("conv2", conv2), ("bn2", bn2), ("downsample", downsample));
    }

    Tensor IResidualUnit.LastWeight => ((BatchNorm2d)bn2).weight!;

    /// <inheritdoc />
    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var y = bn1.call(MixedPrecision.Conv(conv1, x));
        owner.Observe(path + ".bn1", y);
        y = bn2.call(MixedPrecision.Conv(conv2, y.relu_()));
        owner.Observe(path + ".bn2", y);
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
    readonly string path;
    readonly ResNet owner;

    internal Bottleneck(NetworkSpec spec, int inChannels, int width, int stride, string path, ResNet owner) : base(nameof(Bottleneck))
    {
        var onReduce = spec.Stride == BottleneckStride.OnReduce;
        conv1 = Units.Conv1x1(inChannels, width, onReduce ? stride : 1);
        bn1 = BatchNorm2d(width);
        conv2 = Units.Conv3x3(width, width, onReduce ? 1 : stride);
        bn2 = BatchNorm2d(width);
        conv3 = Units.Conv1x1(width, width * 4);
        bn3 = BatchNorm2d(width * 4);
        downsample = Shortcuts.For(spec, inChannels, width * 4, stride);
        residual = spec.Residual;
        this.path = path;
        this.owner = owner;
        Units.Register(this, ("conv1", conv1), ("bn1", bn1), ("conv2", conv2), ("bn2", bn2), ("conv3", conv3), ("bn3", bn3), ("downsample", downsample));
    }

    Tensor IResidualUnit.LastWeight => ((BatchNorm2d)bn3).weight!;

    /// <inheritdoc />
    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var y = bn1.call(MixedPrecision.Conv(conv1, x)).relu_();
        y = bn2.call(MixedPrecision.Conv(conv2, y));
        owner.Observe(path + ".bn2", y);
        y = bn3.call(MixedPrecision.Conv(conv3, y.relu_()));
        if (residual) y = y.add_(downsample is null ? x : downsample.call(x));
        return y.relu_().MoveToOuterDisposeScope();
    }
}
