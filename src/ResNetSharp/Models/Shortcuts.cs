using ResNetSharp.Runtime;
using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace ResNetSharp.Models;

/// <summary>
/// The shortcut connections of section 3.3: which unit gets which shortcut, and the modules that
/// implement option A (parameter-free) and options B/C (projection, eq. 2).
/// </summary>
public static class Shortcuts
{
    /// <summary>
    /// The module for <paramref name="unit"/>'s shortcut (<see cref="UnitLayout.Shortcut"/>), or null for identity and
    /// for plain nets. Named <c>downsample</c> in the unit so that projection weights use torchvision's keys.
    /// </summary>
    public static Module<Tensor, Tensor>? For(NetworkSpec spec, UnitLayout unit) => unit.Shortcut switch
    {
        ShortcutKind.ZeroPad => new ZeroPadShortcut(unit.Stride, unit.OutChannels - unit.InChannels),
        ShortcutKind.Projection => new Projection(unit.InChannels, unit.OutChannels, unit.Stride, withNorm: !spec.PreActivation),
        _ => null,
    };
}

/// <summary>Option A: identity that takes every <c>stride</c>-th pixel and appends zero channels. No parameters.</summary>
public sealed class ZeroPadShortcut : Module<Tensor, Tensor>
{
    /// <summary>Spatial subsampling step.</summary>
    public int Stride { get; }

    /// <summary>Zero channels appended after the input's channels.</summary>
    public int ExtraChannels { get; }

    /// <summary>Creates the shortcut; <paramref name="extraChannels"/> must not be negative.</summary>
    public ZeroPadShortcut(int stride, int extraChannels) : base(TorchRuntime.Loaded(nameof(ZeroPadShortcut)))
    {
        if (extraChannels < 0) throw new ArgumentException("Option A cannot reduce channels; use a projection (option B or C).");
        Stride = stride;
        ExtraChannels = extraChannels;
    }

    /// <inheritdoc />
    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var y = Stride == 1 ? x.alias() : x[.., .., TensorIndex.Slice(null, null, Stride), TensorIndex.Slice(null, null, Stride)];
        if (ExtraChannels > 0) y = functional.pad(y, [0, 0, 0, 0, 0, ExtraChannels]);
        return y.MoveToOuterDisposeScope();
    }
}

/// <summary>
/// A projection shortcut, eq. 2: y = F(x) + W_s x, a strided 1x1 convolution, then BN for post-activation nets. Its children are named
/// "0" and "1" as torchvision's Sequential names them, so the state-dict keys are <c>downsample.0.weight</c> etc.
/// </summary>
sealed class Projection : Module<Tensor, Tensor>
{
    // An array, not fields: TorchSharp would register Module fields a second time under their field names.
    readonly Module<Tensor, Tensor>[] parts;

    public Projection(int inChannels, int outChannels, int stride, bool withNorm) : base(nameof(Projection))
    {
        var conv = Conv2d(inChannels, outChannels, kernel_size: 1, stride: stride, bias: false);
        parts = withNorm ? [conv, BatchNorm2d(outChannels)] : [conv];
        for (var i = 0; i < parts.Length; i++) register_module($"{i}", parts[i]);
    }

    public override Tensor forward(Tensor x)
    {
        var y = MixedPrecision.Conv(parts[0], x);
        return parts.Length == 1 ? y : parts[1].call(y);
    }
}
