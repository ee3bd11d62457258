using System.Text.Json.Serialization;
using ResNetSharp.Training;

namespace ResNetSharp.Reproduce;

/// <summary>What a reproduction may vary: schedule length, seeds and data.</summary>
public sealed record ReproduceOptions
{
    /// <summary>Fraction in (0, 1] of every paper schedule (<see cref="TrainingConfig.Scaled"/>); 1 is the full schedule.</summary>
    public double Budget { get; init; } = 1.0;

    /// <summary>Seeds per network (0 … Seeds−1); the report gives best and mean ± std as the paper does.</summary>
    public int Seeds { get; init; } = 1;

    /// <summary>
    /// Data of the runs: for the CIFAR experiments null means "cifar10" (or give a CIFAR-10 ImageFolder); the
    /// ImageNet experiments need an ImageFolder root with train/ and test/ (or val/), or a .tar.gz of one.
    /// </summary>
    public string? Data { get; init; }

    /// <summary>Where CIFAR binaries are (or go); null means the cache folder.</summary>
    public string? DataDir { get; init; }

    /// <summary>Training crop and test view side of the ImageNet experiments on an ImageFolder (the paper: 224).</summary>
    public int ImageFolderCropSize { get; init; } = 64;

    /// <summary>Also the costliest nets: ResNet-1202 in cifar-depth, ResNet-101/152 in imagenet-depth.</summary>
    public bool Extended { get; init; }

    /// <summary>
    /// Residual nets start with each unit's last BN scale at zero, so every unit begins as an identity
    /// (torchvision's <c>zero_init_residual</c>; Goyal et al. 2017). Not the paper's initialisation: for short
    /// budgets, where deep nets at lr 0.1 can blow up in their first iterations and not recover in time.
    /// Plain nets are unaffected (zeroing their units would cut the signal).
    /// </summary>
    public bool ZeroInitResidual { get; init; }

    /// <summary>
    /// Training images the final training error is measured on after training (eval mode, no augmentation, N evenly
    /// spaced over the training set): the claims about training error rest on it. 10,000 gives a standard error below 0.5%.
    /// </summary>
    public int TrainMeasureImages { get; init; } = 10_000;

    /// <summary>
    /// Depth 6n+2 of the networks of the Identity Mappings experiments (activation-placement, shortcut-scaling); null is the
    /// paper's 110. Written to files only when given.
    /// </summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public int? Depth { get; init; }

    /// <summary>The depth of the Identity Mappings experiments: <see cref="Depth"/> or the paper's 110.</summary>
    [JsonIgnore]
    public int VariantDepth => Depth ?? 110;

    /// <summary>Throws <see cref="ArgumentException"/> naming the first option that makes no sense.</summary>
    public ReproduceOptions Validate()
    {
        if (Depth is { } d && (d < 8 || (d - 2) % 6 != 0))
            throw new ArgumentException($"--depth is a CIFAR depth 6n+2 (20, 32, 44, 56, 110, ...); {d} is not.");
        if (Budget is <= 0 or > 1) throw new ArgumentException($"The budget is a fraction of the paper's schedule in (0, 1] (got {Budget}); e.g. 0.05 for a CPU-sized run.");
        if (Seeds < 1) throw new ArgumentException($"Seeds must be at least 1 (got {Seeds}).");
        if (TrainMeasureImages < 100) throw new ArgumentException($"The final training error needs at least 100 measured images to mean anything (got {TrainMeasureImages}).");
        if (ImageFolderCropSize < 32) throw new ArgumentException($"The ImageFolder crop must be at least 32 pixels for the ImageNet nets' five downsamplings (got {ImageFolderCropSize}).");
        return this;
    }
}

/// <summary>
/// How a number was measured, stated once at the top of the report: data set, split, test views, schedule
/// (with the budget), seeds, and what the final numbers were measured on.
/// </summary>
public sealed record Protocol(string Data, string Split, string Views, string Schedule, string Seeds, string Measured = "")
{
    /// <summary>One line, e.g. "cifar10 · train 50k / test 10k · 1 view (32x32) · paper-cifar 3200 it (budget 0.05) · 1 seed".</summary>
    public override string ToString() => $"{Data} · {Split} · {Views} · {Schedule} · {Seeds}" + (Measured.Length > 0 ? $" · {Measured}" : "");
}

/// <summary>One training run of an experiment: its folder (under runs/), network, role in the comparison, seed and full configuration.</summary>
public sealed record PlannedRun(string Folder, string Network, string Group, int Seed, TrainingConfig Config);

/// <summary>Everything an experiment will train, decided before any training: a pure function of the experiment and its options.</summary>
/// <remarks><see cref="TestImages"/> is the size of the test set every evaluation runs over (for an ImageFolder not known before it is
/// opened: then an assumption, <see cref="TestImagesAssumed"/>).</remarks>
public sealed record ExperimentPlan(string Experiment, string Title, ReproduceOptions Options, Protocol Protocol, IReadOnlyList<PlannedRun> Runs,
    int TestImages = 10_000, bool TestImagesAssumed = false)
{
    /// <summary>The experiment this is a plan of.</summary>
    public Experiment Definition => Experiments.Get(Experiment);

    /// <summary>The networks in plan order, each once.</summary>
    public IReadOnlyList<string> Networks => [.. Runs.Select(r => r.Network).Distinct()];
}
