using System.Globalization;
using System.Text.RegularExpressions;

namespace ResNetSharp.Models;

/// <summary>
/// The paper's networks by name. A name is read as
/// <c>[preact-][plain-][cifar-]resnet&lt;depth&gt;[-a|-b|-c][-v1.5][-basic|-bottleneck]</c>
/// (<c>plain-&lt;depth&gt;</c> for the plain baselines):
/// <list type="bullet">
/// <item>depth 18/34/50/101/152: the ImageNet nets of Table 1 (option B, stride on the 1x1 as in the paper);</item>
/// <item>any other depth 6n+2: the CIFAR nets of section 4.2 (basic units, option A), e.g. 20, 56, 110, 1202;
/// <c>cifar-</c> forces CIFAR for a depth that is also an ImageNet depth;</item>
/// <item><c>preact-</c>: pre-activation units (Identity Mappings); on CIFAR these are bottleneck nets of depth 9n+2
/// (164, 1001) unless <c>-basic</c> is given, with projection shortcuts (option B);</item>
/// <item><c>-a/-b/-c</c>: shortcut option (section 3.3); <c>-v1.5</c>: bottleneck stride on the 3x3 (torchvision);
/// <c>-basic/-bottleneck</c>: unit kind of a CIFAR net (bottleneck depths are 9n+2).</item>
/// <item>Identity Mappings' unit variants, on any residual net of original units, e.g. <c>resnet110-gate</c>: activation
/// placement (Fig. 4) <c>-bn-after-add</c> (b), <c>-relu-before-add</c> (c), <c>-relu-preact</c> (d) ((e) is
/// <c>preact-resnet110-basic</c>); shortcuts (Fig. 2) <c>-scale&lt;λ&gt;</c> (shortcut and residual × λ),
/// <c>-shortcut-scale&lt;λ&gt;</c> (shortcut × λ, residual × 1), <c>-gate[&lt;b&gt;]</c> (exclusive gating),
/// <c>-shortcut-gate[&lt;b&gt;]</c> (shortcut-only gating) with gate bias b (default −6, e.g. <c>-gate0</c>, <c>-gate-7</c>),
/// <c>-conv-shortcut</c> (a 1x1 convolution on every shortcut: option C), <c>-dropout-shortcut[&lt;p&gt;]</c> (default 0.5).</item>
/// </list>
/// </summary>
public static class ModelZoo
{
    static readonly int[] ImageNetDepths = [18, 34, 50, 101, 152];

    /// <summary>Every named network, in the order listings show them.</summary>
    public static IReadOnlyList<string> Names { get; } =
    [
        "resnet18", "resnet34", "resnet34-a", "resnet34-c", "resnet50", "resnet101", "resnet152",
        "resnet50-v1.5", "resnet101-v1.5", "resnet152-v1.5",
        "plain-18", "plain-34",
        "preact-resnet18", "preact-resnet34", "preact-resnet50", "preact-resnet101", "preact-resnet152",
        "resnet20", "resnet32", "resnet44", "resnet56", "resnet110", "resnet1202",
        "plain-20", "plain-32", "plain-44", "plain-56", "plain-110",
        "preact-resnet110-basic", "preact-resnet164", "preact-resnet1001",
        "resnet110-bn-after-add", "resnet110-relu-before-add", "resnet110-relu-preact",
        "resnet110-scale0.5", "resnet110-shortcut-scale0.5", "resnet110-gate", "resnet110-shortcut-gate", "resnet110-shortcut-gate0",
        "resnet110-conv-shortcut", "resnet110-dropout-shortcut",
    ];

    const string Number = @"\d+(?:\.\d+)?";

    // Identity Mappings' variants as name suffixes, longest first where one ends another ("-shortcut-gate" before "-gate").
    static readonly (Regex Pattern, bool Shortcut, Func<Match, NetworkSpec, NetworkSpec> Apply)[] Variants =
    [
        (Suffix("bn-after-add"), false, (_, s) => s with { Activation = ActivationPlacement.BnAfterAddition }),
        (Suffix("relu-before-add"), false, (_, s) => s with { Activation = ActivationPlacement.ReluBeforeAddition }),
        (Suffix("relu-preact"), false, (_, s) => s with { Activation = ActivationPlacement.ReluOnlyPreActivation }),
        (Suffix($"shortcut-scale(?<v>{Number})"), true, (m, s) => s with { ShortcutVariant = ShortcutVariant.Scaled(Value(m), residualToo: false) }),
        (Suffix($"scale(?<v>{Number})"), true, (m, s) => s with { ShortcutVariant = ShortcutVariant.Scaled(Value(m), residualToo: true) }),
        (Suffix($"shortcut-gate(?<v>-?{Number})?"), true, (m, s) => s with { ShortcutVariant = ShortcutVariant.ShortcutOnlyGate(Value(m, ShortcutVariant.PaperGateBias)) }),
        (Suffix($"gate(?<v>-?{Number})?"), true, (m, s) => s with { ShortcutVariant = ShortcutVariant.ExclusiveGate(Value(m, ShortcutVariant.PaperGateBias)) }),
        (Suffix("conv-shortcut"), true, (_, s) => s with { Shortcut = ShortcutOption.C }),
        (Suffix($"dropout-shortcut(?<v>{Number})?"), true, (m, s) => s with { ShortcutVariant = ShortcutVariant.DropoutOf(Value(m, 0.5)) }),
    ];

    static Regex Suffix(string pattern) => new($"-{pattern}(?=-|$)", RegexOptions.CultureInvariant);

    static double Value(Match m, double fallback = double.NaN) =>
        m.Groups["v"].Success ? double.Parse(m.Groups["v"].Value, CultureInfo.InvariantCulture) : fallback;

    /// <summary>The ImageNet network of Table 1 with <paramref name="depth"/> 18, 34, 50, 101 or 152.</summary>
    public static NetworkSpec ImageNet(int depth)
    {
        int[] blocks = depth switch
        {
            18 => [2, 2, 2, 2],
            34 => [3, 4, 6, 3],
            50 => [3, 4, 6, 3],
            101 => [3, 4, 23, 3],
            152 => [3, 8, 36, 3],
            _ => throw new ArgumentException($"ImageNet ResNets have depth 18, 34, 50, 101 or 152 (Table 1); {depth} is not one of them."),
        };
        return new NetworkSpec
        {
            Name = $"resnet{depth}",
            Stem = StemKind.ImageNet,
            Block = depth >= 50 ? BlockKind.Bottleneck : BlockKind.Basic,
            BlocksPerStage = blocks,
            Widths = [64, 128, 256, 512],
            StemWidth = 64,
            Shortcut = ShortcutOption.B,
            Classes = 1000,
            InputSize = 224,
        };
    }

    /// <summary>The CIFAR network of section 4.2 with <paramref name="n"/> units per stage (depth 6n+2 basic, 9n+2 bottleneck).</summary>
    public static NetworkSpec Cifar(int n, BlockKind block = BlockKind.Basic)
    {
        if (n < 1) throw new ArgumentException($"CIFAR nets need at least one unit per stage (n = {n}).");
        var depth = 2 + 3 * n * (block == BlockKind.Bottleneck ? 3 : 2);
        return new NetworkSpec
        {
            Name = $"resnet{depth}",
            Stem = StemKind.Cifar,
            Block = block,
            BlocksPerStage = [n, n, n],
            Widths = [16, 32, 64],
            StemWidth = 16,
            Shortcut = ShortcutOption.A,
            Classes = 10,
            InputSize = 32,
        };
    }

    /// <summary>Reads a name (see the type's summary) into a description; unknown names fail with the known ones.</summary>
    public static NetworkSpec Get(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        var text = name.Trim().ToLowerInvariant();
        var rest = text;
        var variants = new List<Func<NetworkSpec, NetworkSpec>>();
        var shortcutVariants = 0;
        foreach (var (pattern, shortcutVariant, apply) in Variants)
        {
            if (pattern.Match(rest) is not { Success: true } match) continue;
            rest = rest.Remove(match.Index, match.Length);
            variants.Add(s => apply(match, s));
            if (shortcutVariant) shortcutVariants++;
        }
        if (shortcutVariants > 1 || variants.Count - shortcutVariants > 1)
            throw new ArgumentException($"'{name}': give at most one activation placement and one shortcut variant (Identity Mappings studies them one at a time).");
        var parts = rest.Split('-', StringSplitOptions.RemoveEmptyEntries).ToList();
        bool Take(string token) => parts.Remove(token);
        var preact = Take("preact");
        var plain = Take("plain");
        var cifar = Take("cifar");
        var v15 = Take("v1.5");
        bool? bottleneck = Take("bottleneck") ? true : Take("basic") ? false : null;
        ShortcutOption? shortcut = Take("a") ? ShortcutOption.A : Take("b") ? ShortcutOption.B : Take("c") ? ShortcutOption.C : null;

        if (parts.Count != 1 || !TryDepth(parts[0], plain, out var depth)) throw Unknown(name);

        NetworkSpec spec;
        if (!cifar && ImageNetDepths.Contains(depth) && bottleneck is null)
        {
            spec = ImageNet(depth);
        }
        else
        {
            var kind = bottleneck ?? preact ? BlockKind.Bottleneck : BlockKind.Basic;
            var perUnit = kind == BlockKind.Bottleneck ? 9 : 6;
            if (depth < 2 + perUnit || (depth - 2) % perUnit != 0)
                throw new ArgumentException(
                    $"'{name}': CIFAR {(kind == BlockKind.Bottleneck ? "bottleneck" : "basic")} nets have depth {perUnit}n+2 " +
                    $"({(kind == BlockKind.Bottleneck ? "11, 20, ..., 164, 1001" : "8, 14, 20, 32, 44, 56, 110, 1202")}); {depth} is not." +
                    (kind == BlockKind.Bottleneck && (depth - 2) % 6 == 0 ? $" Use '-basic' for the basic-unit net of depth {depth}." : "") +
                    (kind == BlockKind.Basic && (depth - 2) % 9 == 0 ? $" Use '-bottleneck' for the bottleneck net of depth {depth}." : "") +
                    $" Closest named network: '{Closest(name)}'.");
            spec = Cifar((depth - 2) / perUnit, kind);
            if (preact) spec = spec with { Shortcut = ShortcutOption.B };
        }
        if (v15 && spec.Block != BlockKind.Bottleneck)
            throw new ArgumentException($"'{name}': -v1.5 moves the stride of a bottleneck unit; {spec.Name} has basic units.");
        spec = spec with
        {
            Name = text,
            PreActivation = preact,
            Residual = !plain,
            Shortcut = shortcut ?? spec.Shortcut,
            Stride = v15 ? BottleneckStride.OnSpatial : BottleneckStride.OnReduce,
        };
        foreach (var apply in variants) spec = apply(spec);
        return variants.Count == 0 ? spec : spec.Validate();
    }

    /// <summary>Builds the named network, optionally with another number of classes.</summary>
    public static ResNet Create(string name, int? classes = null)
    {
        var spec = Get(name);
        return new ResNet(classes is { } c ? spec with { Classes = c } : spec);
    }

    static bool TryDepth(string core, bool plain, out int depth)
    {
        depth = 0;
        var digits = core.StartsWith("resnet", StringComparison.Ordinal) ? core[6..] : plain ? core : "";
        return digits.Length > 0 && digits.All(char.IsAsciiDigit) && int.TryParse(digits, out depth);
    }

    static ArgumentException Unknown(string name)
    {
        return new ArgumentException(
            $"Unknown network '{name}'. Did you mean '{Closest(name)}'? Known networks: {string.Join(", ", Names)}. " +
            "CIFAR nets of any depth 6n+2 (resnet8, resnet14, ...) are accepted too.");
    }

    static string Closest(string name) => Names.MinBy(n => Distance(n, name.Trim().ToLowerInvariant()))!;

    static int Distance(string a, string b)
    {
        var row = Enumerable.Range(0, b.Length + 1).ToArray();
        for (var i = 1; i <= a.Length; i++)
        {
            var previous = row[0];
            row[0] = i;
            for (var j = 1; j <= b.Length; j++)
            {
                var current = row[j];
                row[j] = Math.Min(Math.Min(row[j] + 1, row[j - 1] + 1), previous + (a[i - 1] == b[j - 1] ? 0 : 1));
                previous = current;
            }
        }
        return row[b.Length];
    }
}
