using System.Text.Json.Serialization;

namespace ResNetSharp.Models;

/// <summary>The two residual units of the paper (section 3.3, Fig. 5).</summary>
public enum BlockKind
{
    /// <summary>Two 3x3 convolutions (ResNet-18/34 and the CIFAR nets).</summary>
    Basic,

    /// <summary>1x1 reduce, 3x3, 1x1 expand by 4 (ResNet-50/101/152, pre-activation ResNet-164/1001).</summary>
    Bottleneck,
}

/// <summary>The shortcut options of section 3.3 for where dimensions increase.</summary>
public enum ShortcutOption
{
    /// <summary>Identity; every other pixel on stride 2, extra channels zero. No parameters.</summary>
    A,

    /// <summary>1x1 convolution + BN projection only where the shape changes; identity elsewhere.</summary>
    B,

    /// <summary>Projection on every shortcut.</summary>
    C,
}

/// <summary>Where a downsampling bottleneck puts its stride.</summary>
public enum BottleneckStride
{
    /// <summary>On the first 1x1 convolution, as in the paper ("v1").</summary>
    OnReduce,

    /// <summary>On the 3x3 convolution, as torchvision does ("v1.5").</summary>
    OnSpatial,
}

/// <summary>The first layers before the residual stages.</summary>
public enum StemKind
{
    /// <summary>7x7/2 convolution, BN, ReLU, 3x3/2 max pool (Table 1, conv1).</summary>
    ImageNet,

    /// <summary>3x3 convolution with 16 filters (section 4.2).</summary>
    Cifar,
}

/// <summary>
/// One immutable description of a network of the paper; every variant is a value of it.
/// Presets live in <see cref="ModelZoo"/>; variants are made with <c>with</c>:
/// <code>ModelZoo.Get("resnet34") with { Shortcut = ShortcutOption.C }</code>
/// </summary>
public sealed record NetworkSpec
{
    /// <summary>Name used in listings and checkpoints.</summary>
    public required string Name { get; init; }

    /// <summary>Stem: ImageNet (7x7 + max pool) or CIFAR (3x3, 16 filters).</summary>
    public required StemKind Stem { get; init; }

    /// <summary>Residual unit kind; both kinds take the same constructor arguments.</summary>
    public required BlockKind Block { get; init; }

    /// <summary>Units per stage (e.g. 3,4,6,3 for ResNet-34/50; n,n,n for CIFAR 6n+2).</summary>
    public required IReadOnlyList<int> BlocksPerStage { get; init; }

    /// <summary>Filters of each stage's 3x3 convolutions; a bottleneck outputs 4x as many.</summary>
    public required IReadOnlyList<int> Widths { get; init; }

    /// <summary>Filters of the stem convolution (64 ImageNet, 16 CIFAR).</summary>
    public int StemWidth { get; init; } = 64;

    /// <summary>Shortcut option where dimensions increase (ImageNet default B, CIFAR default A).</summary>
    public ShortcutOption Shortcut { get; init; } = ShortcutOption.B;

    /// <summary>False gives the paper's plain baseline: the same layers without any shortcut.</summary>
    public bool Residual { get; init; } = true;

    /// <summary>Pre-activation units (Identity Mappings): BN → ReLU → conv, with a final BN + ReLU.</summary>
    public bool PreActivation { get; init; }

    /// <summary>
    /// Where BN and ReLU sit in a post-activation unit (Identity Mappings Fig. 4 (a)–(d)); (e), full pre-activation, is
    /// <see cref="PreActivation"/>. Written to files only when not the original, so older descriptions read and write unchanged.
    /// </summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public ActivationPlacement Activation { get; init; }

    /// <summary>
    /// What the shortcut does to its input besides the option's identity or projection (Identity Mappings Fig. 2 / Table 1):
    /// null for the paper's identity. Written to files only when given.
    /// </summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public ShortcutVariant? ShortcutVariant { get; init; }

    /// <summary>The unit of Identity Mappings Fig. 4 this description builds: (e) when <see cref="PreActivation"/>, else <see cref="Activation"/>.</summary>
    [JsonIgnore]
    public ActivationPlacement Placement => PreActivation ? ActivationPlacement.FullPreActivation : Activation;

    /// <summary>True for the paper's own units (original or full pre-activation, identity shortcuts), which every consumer of a description supports.</summary>
    [JsonIgnore]
    public bool HasUnitVariant => Activation != ActivationPlacement.Original || ShortcutVariant is not null;

    /// <summary>Stride placement in downsampling bottlenecks (paper: on the 1x1).</summary>
    public BottleneckStride Stride { get; init; } = BottleneckStride.OnReduce;

    /// <summary>Classifier outputs.</summary>
    public int Classes { get; init; } = 1000;

    /// <summary>Zero-initialise each unit's last BN scale (last conv for pre-activation) so units start as identities.</summary>
    public bool ZeroInitLast { get; init; }

    /// <summary>The input side length the network is described at (224 ImageNet, 32 CIFAR).</summary>
    public int InputSize { get; init; } = 224;

    /// <summary>Output channels over input channels of a unit: 4 for bottlenecks, 1 for basic units.</summary>
    public int Expansion => Block == BlockKind.Bottleneck ? 4 : 1;

    /// <summary>Weighted layers: stem conv + convolutions of all units + fc (projections not counted, as in the paper).</summary>
    public int Depth => 2 + BlocksPerStage.Sum() * (Block == BlockKind.Bottleneck ? 3 : 2);

    /// <summary>Channels leaving the last stage, i.e. the pooled feature size.</summary>
    public int FeatureSize => Widths[^1] * Expansion;

    /// <summary>
    /// The units in forward order: stage by stage, stride 2 at the first unit of every stage but the first, channels
    /// growing to each stage's width (x4 for bottlenecks), the shortcut the option gives each. A method, not a
    /// property, so that it is not written into checkpoints and exported files with the description.
    /// </summary>
    public IReadOnlyList<UnitLayout> Units()
    {
        Validate();
        var units = new List<UnitLayout>();
        var channels = StemWidth;
        for (var s = 0; s < BlocksPerStage.Count; s++)
        {
            for (var b = 0; b < BlocksPerStage[s]; b++)
            {
                var stride = b == 0 && s > 0 ? 2 : 1;
                var output = Widths[s] * Expansion;
                var firstStride = Block == BlockKind.Bottleneck && Stride == BottleneckStride.OnSpatial ? 1 : stride;
                var unit = new UnitLayout(s, b, channels, Widths[s], output, stride, ShortcutKind.None, firstStride);
                units.Add(unit with { Shortcut = UnitLayout.ShortcutOf(this, unit.ChangesShape) });
                channels = output;
            }
        }
        return units;
    }

    /// <summary>Throws <see cref="ArgumentException"/> naming the field that makes the description impossible.</summary>
    public NetworkSpec Validate()
    {
        if (BlocksPerStage.Count == 0) throw new ArgumentException($"{Name}: at least one stage is needed.");
        if (BlocksPerStage.Count != Widths.Count)
            throw new ArgumentException($"{Name}: {BlocksPerStage.Count} stages of blocks but {Widths.Count} widths; give one width per stage.");
        if (BlocksPerStage.Any(b => b < 1)) throw new ArgumentException($"{Name}: every stage needs at least one block.");
        if (Widths.Any(w => w < 1) || StemWidth < 1) throw new ArgumentException($"{Name}: widths must be positive.");
        if (Classes < 1) throw new ArgumentException($"{Name}: classes must be at least 1 (got {Classes}).");
        if (InputSize < 1) throw new ArgumentException($"{Name}: input size must be positive.");
        if (Activation == ActivationPlacement.FullPreActivation)
            throw new ArgumentException($"{Name}: full pre-activation (Fig. 4e) is PreActivation = true; Activation names the post-activation orders (a)–(d).");
        if (PreActivation && HasUnitVariant)
            throw new ArgumentException($"{Name}: the unit variants of Identity Mappings (activation placement, shortcut variants) are built on the original units; drop PreActivation or the variant.");
        if (!Residual && HasUnitVariant)
            throw new ArgumentException($"{Name}: a plain net has no shortcut and no addition, so activation placement and shortcut variants do not apply.");
        ShortcutVariant?.Validate(Name);
        return this;
    }

    /// <summary>Paper-style description, e.g. "ResNet-56 (CIFAR, basic, option A)".</summary>
    public override string ToString() =>
        $"{Name}: {(PreActivation ? "pre-activation " : "")}{(Residual ? "residual" : "plain")}, {Stem} stem, {Block} x [{string.Join(",", BlocksPerStage)}], " +
        $"widths [{string.Join(",", Widths)}]{(Residual ? $", option {Shortcut}" : "")}, {Classes} classes" +
        (Activation != ActivationPlacement.Original ? $", {UnitVariants.Describe(Activation)}" : "") +
        (ShortcutVariant is { } v ? $", {v}" : "");
}
