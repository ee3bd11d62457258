using System.Globalization;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace ResNetSharp.Models;

// Identity Mappings in Deep Residual Networks (He et al., ECCV 2016): the design questions of a residual unit,
// as values of NetworkSpec (Activation, ShortcutVariant) built by one parameterised unit.

/// <summary>Where BN and ReLU sit in a residual unit, Identity Mappings Fig. 4.</summary>
public enum ActivationPlacement
{
    /// <summary>(a) The original unit: conv-BN-ReLU, conv-BN, addition, ReLU.</summary>
    Original,

    /// <summary>(b) BN after addition: conv-BN-ReLU, conv, addition, BN, ReLU.</summary>
    BnAfterAddition,

    /// <summary>(c) ReLU before addition: conv-BN-ReLU, conv-BN-ReLU, addition (the residual can only be non-negative).</summary>
    ReluBeforeAddition,

    /// <summary>(d) ReLU-only pre-activation: ReLU-conv-BN, ReLU-conv-BN, addition; a final ReLU before pooling.</summary>
    ReluOnlyPreActivation,

    /// <summary>(e) Full pre-activation: BN-ReLU-conv, BN-ReLU-conv, addition (<see cref="NetworkSpec.PreActivation"/>).</summary>
    FullPreActivation,
}

/// <summary>What a shortcut variant does (Identity Mappings Fig. 2 / Table 1); a 1x1 convolution on every shortcut is option C.</summary>
public enum ShortcutVariantKind
{
    /// <summary>(b) Shortcut × λ; the residual × λ too or × 1.</summary>
    ConstantScaling,

    /// <summary>(c) Gate g = sigmoid(1x1 conv of x + b): shortcut × (1 − g), residual × g.</summary>
    ExclusiveGating,

    /// <summary>(d) The same gate on the shortcut only: shortcut × (1 − g), residual × 1.</summary>
    ShortcutOnlyGating,

    /// <summary>(f) Dropout on the shortcut: each element kept with probability 1 − p (not rescaled, so its expected scale is 1 − p).</summary>
    Dropout,
}

/// <summary>
/// A shortcut variant and its parameters; only the ones its kind reads matter. Make one with
/// <see cref="Scaled"/>, <see cref="ExclusiveGate"/>, <see cref="ShortcutOnlyGate"/> or <see cref="DropoutOf"/>.
/// </summary>
/// <param name="Kind">What the variant does.</param>
/// <param name="Scale">λ of constant scaling.</param>
/// <param name="ScaleResidual">Constant scaling multiplies the residual by λ too (the paper's converging 12.35% case).</param>
/// <param name="GateBias">Initial bias b of the gate's 1x1 convolution; the paper's best is −6 (Table 1: 0…−5 fail, −6 8.70%, −7 9.81% for exclusive gating).</param>
/// <param name="DropRate">Dropout ratio p of the shortcut (the paper: 0.5, fails to converge).</param>
public sealed record ShortcutVariant(ShortcutVariantKind Kind, double Scale = 1, bool ScaleResidual = false, double GateBias = ShortcutVariant.PaperGateBias, double DropRate = 0.5)
{
    /// <summary>The gate bias initialisation the paper reports converging best with (Identity Mappings Table 1, exclusive gating −6: 8.70%).</summary>
    public const double PaperGateBias = -6;

    /// <summary>Shortcut × <paramref name="lambda"/>, residual × <paramref name="lambda"/> when <paramref name="residualToo"/>, else × 1.</summary>
    public static ShortcutVariant Scaled(double lambda, bool residualToo) => new(ShortcutVariantKind.ConstantScaling, Scale: lambda, ScaleResidual: residualToo);

    /// <summary>Exclusive gating with the gate's bias initialised to <paramref name="bias"/>.</summary>
    public static ShortcutVariant ExclusiveGate(double bias = PaperGateBias) => new(ShortcutVariantKind.ExclusiveGating, GateBias: bias);

    /// <summary>Shortcut-only gating with the gate's bias initialised to <paramref name="bias"/>.</summary>
    public static ShortcutVariant ShortcutOnlyGate(double bias = PaperGateBias) => new(ShortcutVariantKind.ShortcutOnlyGating, GateBias: bias);

    /// <summary>Dropout of ratio <paramref name="rate"/> on the shortcut.</summary>
    public static ShortcutVariant DropoutOf(double rate = 0.5) => new(ShortcutVariantKind.Dropout, DropRate: rate);

    /// <summary>True when the variant has a gate (a 1x1 convolution with bias on every unit).</summary>
    public bool Gated => Kind is ShortcutVariantKind.ExclusiveGating or ShortcutVariantKind.ShortcutOnlyGating;

    internal void Validate(string network)
    {
        if (Kind == ShortcutVariantKind.ConstantScaling && !(double.IsFinite(Scale) && Scale >= 0))
            throw new ArgumentException($"{network}: the shortcut scale λ must be a finite number ≥ 0 (got {Scale}).");
        if (Gated && !double.IsFinite(GateBias)) throw new ArgumentException($"{network}: the gate bias must be finite (got {GateBias}).");
        if (Kind == ShortcutVariantKind.Dropout && DropRate is < 0 or >= 1 or double.NaN)
            throw new ArgumentException($"{network}: the shortcut dropout ratio must be in [0, 1) (got {DropRate}).");
    }

    /// <inheritdoc />
    public override string ToString() => Kind switch
    {
        ShortcutVariantKind.ConstantScaling => string.Create(CultureInfo.InvariantCulture, $"shortcut × {Scale}, residual × {(ScaleResidual ? Scale : 1)}"),
        ShortcutVariantKind.ExclusiveGating => string.Create(CultureInfo.InvariantCulture, $"exclusive gating (gate bias {GateBias})"),
        ShortcutVariantKind.ShortcutOnlyGating => string.Create(CultureInfo.InvariantCulture, $"shortcut-only gating (gate bias {GateBias})"),
        _ => string.Create(CultureInfo.InvariantCulture, $"dropout {DropRate} on the shortcut"),
    };
}

/// <summary>Names and descriptions of the unit variants.</summary>
public static class UnitVariants
{
    /// <summary>The five units of Fig. 4 in the paper's order, (a) to (e).</summary>
    public static IReadOnlyList<ActivationPlacement> Placements { get; } =
    [
        ActivationPlacement.Original, ActivationPlacement.BnAfterAddition, ActivationPlacement.ReluBeforeAddition,
        ActivationPlacement.ReluOnlyPreActivation, ActivationPlacement.FullPreActivation,
    ];

    /// <summary>The unit of <paramref name="placement"/> on <paramref name="spec"/>: (e) sets <see cref="NetworkSpec.PreActivation"/>, the others <see cref="NetworkSpec.Activation"/>.</summary>
    public static NetworkSpec WithPlacement(NetworkSpec spec, ActivationPlacement placement) => placement == ActivationPlacement.FullPreActivation
        ? spec with { PreActivation = true, Activation = ActivationPlacement.Original }
        : spec with { PreActivation = false, Activation = placement };

    /// <summary>The paper's words for <paramref name="placement"/>, with its letter in Fig. 4.</summary>
    public static string Describe(ActivationPlacement placement) => placement switch
    {
        ActivationPlacement.Original => "(a) original unit",
        ActivationPlacement.BnAfterAddition => "(b) BN after addition",
        ActivationPlacement.ReluBeforeAddition => "(c) ReLU before addition",
        ActivationPlacement.ReluOnlyPreActivation => "(d) ReLU-only pre-activation",
        _ => "(e) full pre-activation",
    };
}

/// <summary>
/// A post-activation residual unit (basic or bottleneck) with its BN/ReLU order of Fig. 4 (a)–(d) and a shortcut variant
/// of Fig. 2: one module for every combination, so a variant is a value of the description, not a class. Its layers
/// keep the torchvision names of the original unit (<c>conv1</c>, <c>bn1</c>, …, <c>downsample</c>) plus <c>gate</c>.
/// </summary>
public sealed class VariantUnit : Module<Tensor, Tensor>, IResidualUnit
{
    readonly Module<Tensor, Tensor> conv1, bn1, conv2, bn2;
    readonly Module<Tensor, Tensor>? conv3, bn3, downsample, gate;
    readonly ActivationPlacement placement;
    readonly ShortcutVariant? variant;

    internal VariantUnit(NetworkSpec spec, UnitLayout unit) : base(nameof(VariantUnit))
    {
        var bottleneck = spec.Block == BlockKind.Bottleneck;
        conv1 = bottleneck ? Units.Conv1x1(unit.InChannels, unit.Width, unit.FirstConvStride) : Units.Conv3x3(unit.InChannels, unit.Width, unit.FirstConvStride);
        bn1 = BatchNorm2d(unit.Width);
        conv2 = Units.Conv3x3(unit.Width, unit.Width, unit.SecondConvStride);
        // (b) normalises the sum, which has the unit's output channels, so every order has the same parameters
        bn2 = BatchNorm2d(bottleneck ? unit.Width : unit.OutChannels);
        if (bottleneck)
        {
            conv3 = Units.Conv1x1(unit.Width, unit.OutChannels);
            bn3 = BatchNorm2d(unit.OutChannels);
        }
        downsample = Shortcuts.For(spec, unit);
        placement = spec.Activation;
        variant = spec.ShortcutVariant;
        if (variant is { Gated: true })
        {
            // g(x) = sigmoid(W_g x + b_g), a 1x1 convolution with bias (Identity Mappings eq. 3 and Fig. 2c/d)
            var g = Conv2d(unit.InChannels, unit.OutChannels, kernel_size: 1, stride: unit.Stride, bias: true);
            using (no_grad()) g.bias!.fill_(variant.GateBias);
            gate = g;
        }
        Units.Register(this, ("conv1", conv1), ("bn1", bn1), ("conv2", conv2), ("bn2", bn2), ("conv3", conv3), ("bn3", bn3),
            ("downsample", downsample), ("gate", gate));
    }

    // (b)'s last BN acts on the sum, so zeroing it would cut the shortcut too: zero its last convolution instead
    Tensor IResidualUnit.LastWeight => placement == ActivationPlacement.BnAfterAddition
        ? ((Conv2d)(conv3 ?? conv2)).weight!
        : ((BatchNorm2d)(bn3 ?? bn2)).weight!;

    /// <inheritdoc />
    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var input = placement == ActivationPlacement.ReluOnlyPreActivation ? x.relu() : x;
        var y = bn1.call(MixedPrecision.Conv(conv1, input)).relu_();
        var lastConv = conv3 ?? conv2;
        var lastBn = bn3 ?? bn2;
        if (conv3 is not null) y = bn2.call(MixedPrecision.Conv(conv2, y)).relu_();
        y = MixedPrecision.Conv(lastConv, y);
        if (placement != ActivationPlacement.BnAfterAddition) y = lastBn.call(y);
        if (placement == ActivationPlacement.ReluBeforeAddition) y = y.relu_();
        var sum = Combine(downsample is null ? x : downsample.call(x), y, x);
        var output = placement switch
        {
            ActivationPlacement.Original => sum.relu_(),
            ActivationPlacement.BnAfterAddition => lastBn.call(sum).relu_(),
            _ => sum,
        };
        return output.MoveToOuterDisposeScope();
    }

    // The shortcut h(x) and the residual F(x) combined as the variant says (Fig. 2); the identity adds them.
    Tensor Combine(Tensor shortcut, Tensor residual, Tensor x)
    {
        switch (variant?.Kind)
        {
            case null:
                return residual.add(shortcut);
            case ShortcutVariantKind.ConstantScaling:
                return residual.mul(variant.ScaleResidual ? variant.Scale : 1).add_(shortcut.mul(variant.Scale));
            case ShortcutVariantKind.Dropout:
                // inverted dropout rescales kept elements by 1/(1-p); undo it so the expected scale is 1-p, as the paper reads it
                return residual.add(functional.dropout(shortcut, variant.DropRate, training).mul(1 - variant.DropRate));
            default:
                var g = MixedPrecision.Conv(gate!, x).sigmoid();
                var kept = shortcut.mul(g.neg().add_(1));
                return variant.Kind == ShortcutVariantKind.ExclusiveGating ? kept.add_(residual.mul(g)) : kept.add_(residual);
        }
    }
}
