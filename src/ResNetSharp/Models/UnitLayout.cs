namespace ResNetSharp.Models;

/// <summary>What carries a unit's input to its addition (section 3.3).</summary>
public enum ShortcutKind
{
    /// <summary>No shortcut: a unit of a plain network.</summary>
    None,

    /// <summary>The input itself (the shape does not change).</summary>
    Identity,

    /// <summary>Option A where the shape changes: every other pixel, extra channels zero. No parameters.</summary>
    ZeroPad,

    /// <summary>A 1x1 convolution (eq. 2): option B where the shape changes, option C everywhere.</summary>
    Projection,
}

/// <summary>
/// One residual (or plain) unit of a network as the paper lays it out: its stage and place in it, its torchvision
/// path (<c>layer2.0</c>), channels in and out, its stride and its shortcut. <see cref="NetworkSpec.Units"/> is the one
/// place these are decided; the network, its cost, its inference graph and the ONNX importer all read it.
/// </summary>
/// <param name="Stage">0-based stage (conv2_x is stage 0).</param>
/// <param name="Index">0-based place in the stage.</param>
/// <param name="InChannels">Channels entering the unit.</param>
/// <param name="Width">Filters of the unit's 3x3 convolutions.</param>
/// <param name="OutChannels">Channels leaving the unit (4 x width for bottlenecks).</param>
/// <param name="Stride">2 at the first unit of every stage but the first (conv3_1, conv4_1, ...), else 1.</param>
/// <param name="Shortcut">What carries the input to the addition.</param>
/// <param name="FirstConvStride">Stride of the unit's first convolution (the 3x3 of a basic unit, the 1x1 of a paper bottleneck).</param>
public sealed record UnitLayout(int Stage, int Index, int InChannels, int Width, int OutChannels, int Stride, ShortcutKind Shortcut, int FirstConvStride)
{
    /// <summary>The unit's module path and state-dict prefix, torchvision's <c>layer{stage+1}.{index}</c>.</summary>
    public string Path => $"layer{Stage + 1}.{Index}";

    /// <summary>Stride of the unit's second convolution (a bottleneck's 3x3 when the stride is on it, "v1.5").</summary>
    public int SecondConvStride => FirstConvStride == Stride ? 1 : Stride;

    /// <summary>True where the unit changes the shape of its input (stride or channels), where options A and B differ.</summary>
    public bool ChangesShape => Stride != 1 || InChannels != OutChannels;

    /// <summary>The shortcut <paramref name="spec"/>'s option gives a unit of this shape (section 3.3).</summary>
    internal static ShortcutKind ShortcutOf(NetworkSpec spec, bool changesShape) => (spec.Residual, spec.Shortcut, changesShape) switch
    {
        (false, _, _) => ShortcutKind.None,
        (_, ShortcutOption.A, true) => ShortcutKind.ZeroPad,
        (_, ShortcutOption.A or ShortcutOption.B, false) => ShortcutKind.Identity,
        _ => ShortcutKind.Projection,
    };
}
