using ResNetSharp.Data;
using ResNetSharp.Models;
using ResNetSharp.Training;

namespace ResNetSharp.Reproduce;

/// <summary>Which results table and claims report.md gives an experiment (section 4).</summary>
public enum ReportLayout
{
    /// <summary>Table 6 by depth; claims: deeper residual nets are better, up to 110 layers.</summary>
    CifarDepth,

    /// <summary>Fig. 6 plain against residual by depth; claims: plain nets degrade, residual nets do not.</summary>
    Degradation,

    /// <summary>Fig. 7 layer response stds; claims: residual responses are smaller than plain ones.</summary>
    Responses,

    /// <summary>Table 3 options A, B, C; claims: A beats plain, B beats A, C beats B.</summary>
    ShortcutOptions,

    /// <summary>Tables 2–3 by depth on ImageNet nets; claims: plain nets degrade, residual ones gain from depth.</summary>
    ImageNetDepth,

    /// <summary>Identity Mappings Table 2 / Fig. 4, the five activation placements; claims: full pre-activation ≤ original, original beats (b) and (c).</summary>
    ActivationPlacement,

    /// <summary>Identity Mappings Table 1 / Fig. 2, the shortcut variants; claims: the identity beats every other shortcut.</summary>
    ShortcutVariants,
}

/// <summary>
/// One experiment of the paper: its name, title, the networks it trains (and their roles), where the paper's numbers are
/// and how the report lays it out. Adding an experiment is adding a value to <see cref="Experiments.All"/>.
/// </summary>
/// <param name="Name">The name <c>resnet reproduce</c> takes.</param>
/// <param name="Title">What it shows, with the paper's table or figure.</param>
/// <param name="PaperTable">The paper's table(s) or figure, for the report's headings.</param>
/// <param name="Layout">The report's results section and the claims it checks.</param>
/// <param name="OnImageFolder">True for the ImageNet networks trained on an ImageFolder; false for CIFAR-10.</param>
/// <param name="Networks">The networks and their groups ("plain", "residual", an option) for the options given.</param>
/// <param name="PaperTables">The paper's tables to look a network up in, in order.</param>
public sealed record Experiment(string Name, string Title, string PaperTable, ReportLayout Layout, bool OnImageFolder,
    Func<ReproduceOptions, IReadOnlyList<(string Net, string Group)>> Networks, IReadOnlyList<IReadOnlyDictionary<string, PaperFigure>> PaperTables)
{
    /// <summary>True when the report measures layer responses (Fig. 7) of the trained nets.</summary>
    public bool MeasuresResponses => Layout == ReportLayout.Responses;

    /// <summary>The classes its networks classify, as the paper sets them: 10 on CIFAR-10, 1000 on ImageNet.</summary>
    public int PaperClasses => OnImageFolder ? 1000 : 10;

    /// <summary>The paper's figure for <paramref name="network"/>, or null when the paper has none.</summary>
    public PaperFigure? Paper(string network) => PaperTables.Select(t => t.GetValueOrDefault(network)).FirstOrDefault(f => f is not null);

    /// <inheritdoc />
    public override string ToString() => Name;
}

/// <summary>
/// The paper's experiments as plans (section 4):
/// <list type="bullet">
/// <item><c>cifar-depth</c>: Table 6, ResNet-20/32/44/56/110 (1202 with <see cref="ReproduceOptions.Extended"/>) on CIFAR-10;</item>
/// <item><c>degradation</c>: Fig. 6, plain-20/32/44/56 against ResNet-20/32/44/56/110;</item>
/// <item><c>responses</c>: Fig. 7, layer response stds of plain-20/56 and ResNet-20/56/110;</item>
/// <item><c>shortcuts</c>: Table 3, plain-34 and ResNet-34 with options A, B, C on an ImageFolder;</item>
/// <item><c>imagenet-depth</c>: Tables 2–3, plain-18/34, ResNet-18/34 (option A, as Table 2) and ResNet-50 (101/152 extended) on an ImageFolder.</item>
/// <item><c>activation-placement</c>: Identity Mappings Fig. 4 / Table 2, units (a)–(e) at <see cref="ReproduceOptions.VariantDepth"/> on CIFAR-10;</item>
/// <item><c>shortcut-scaling</c>: Identity Mappings Fig. 2 / Table 1, identity, ×0.5, exclusive and shortcut-only gating, 1x1 convolutions and dropout on the shortcut.</item>
/// </list>
/// </summary>
public static class Experiments
{
    /// <summary>Every experiment, in the order listings give them.</summary>
    public static IReadOnlyList<Experiment> All { get; } =
    [
        new("cifar-depth", "Table 6: CIFAR-10 test error of ResNets by depth", "Table 6", ReportLayout.CifarDepth, OnImageFolder: false,
            o => [.. new[] { "resnet20", "resnet32", "resnet44", "resnet56", "resnet110" }.Concat(o.Extended ? ["resnet1202"] : []).Select(n => (n, "residual"))],
            [PaperNumbers.Table6]),
        new("degradation", "Fig. 6: plain nets degrade with depth, residual nets do not", "Fig. 6", ReportLayout.Degradation, OnImageFolder: false,
            _ => [.. new[] { 20, 32, 44, 56 }.Select(d => ($"plain-{d}", "plain")), .. new[] { 20, 32, 44, 56, 110 }.Select(d => ($"resnet{d}", "residual"))],
            [PaperNumbers.Table6]),
        new("responses", "Fig. 7: standard deviations of layer responses on CIFAR-10", "Fig. 7", ReportLayout.Responses, OnImageFolder: false,
            _ => [("plain-20", "plain"), ("plain-56", "plain"), ("resnet20", "residual"), ("resnet56", "residual"), ("resnet110", "residual")],
            [PaperNumbers.Table6]),
        new("shortcuts", "Table 3: shortcut options A, B, C on ResNet-34", "Table 3", ReportLayout.ShortcutOptions, OnImageFolder: true,
            _ => [("plain-34", "plain"), ("resnet34-a", "A"), ("resnet34", "B"), ("resnet34-c", "C")],
            [PaperNumbers.Table3]),
        new("imagenet-depth", "Tables 2–3: plain and residual nets of 18 to 152 layers", "Tables 2–3", ReportLayout.ImageNetDepth, OnImageFolder: true,
            o => [("plain-18", "plain"), ("plain-34", "plain"), ("resnet18-a", "residual"), ("resnet34-a", "residual"), ("resnet50", "residual"),
                  .. o.Extended ? new[] { ("resnet101", "residual"), ("resnet152", "residual") } : []],
            [PaperNumbers.Table2, PaperNumbers.Table3]),
        new("activation-placement", "Identity Mappings Fig. 4 / Table 2: where BN and ReLU go in a residual unit", "Identity Mappings Table 2",
            ReportLayout.ActivationPlacement, OnImageFolder: false, o => ActivationPlacementNets(o.VariantDepth), [PaperNumbers.IdentityMappingsTable2]),
        new("shortcut-scaling", "Identity Mappings Fig. 2 / Table 1: why the shortcut must be the identity", "Identity Mappings Table 1",
            ReportLayout.ShortcutVariants, OnImageFolder: false, o => ShortcutNets(o.VariantDepth), [PaperNumbers.IdentityMappingsTable1]),
    ];

    /// <summary>The five units of Identity Mappings Fig. 4 at <paramref name="depth"/>, (a) to (e); (e) keeps option A so all five have the same parameters.</summary>
    public static IReadOnlyList<(string Net, string Group)> ActivationPlacementNets(int depth) =>
    [
        ($"resnet{depth}", "(a) original"), ($"resnet{depth}-bn-after-add", "(b) BN after addition"), ($"resnet{depth}-relu-before-add", "(c) ReLU before addition"),
        ($"resnet{depth}-relu-preact", "(d) ReLU-only pre-activation"), ($"preact-resnet{depth}-basic-a", "(e) full pre-activation"),
    ];

    /// <summary>The shortcut variants of Identity Mappings Table 1 at <paramref name="depth"/>, the identity first.</summary>
    public static IReadOnlyList<(string Net, string Group)> ShortcutNets(int depth) =>
    [
        ($"resnet{depth}", "identity"), ($"resnet{depth}-scale0.5", "constant scaling 0.5 (shortcut and residual)"),
        ($"resnet{depth}-gate", "exclusive gating (b = −6)"), ($"resnet{depth}-shortcut-gate0", "shortcut-only gating (b = 0)"),
        ($"resnet{depth}-conv-shortcut", "1x1 conv shortcut"), ($"resnet{depth}-dropout-shortcut", "dropout 0.5 on the shortcut"),
    ];

    /// <summary>Every experiment name.</summary>
    public static IReadOnlyList<string> Names { get; } = [.. All.Select(e => e.Name)];

    /// <summary>The experiment named <paramref name="name"/>; unknown names fail with the list.</summary>
    public static Experiment Get(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return All.FirstOrDefault(e => e.Name == name.Trim().ToLowerInvariant())
            ?? throw new ArgumentException($"Unknown experiment '{name}'. Known experiments: {string.Join(", ", Names)}.");
    }

    /// <summary>The plan of <paramref name="experiment"/>; unknown names fail with the list.</summary>
    public static ExperimentPlan Plan(string experiment, ReproduceOptions? options = null)
    {
        var e = Get(experiment);
        var o = (options ?? new ReproduceOptions()).Validate();
        return e.OnImageFolder ? ImageFolder(e.Name, e.Title, o, e.Networks(o)) : Cifar(e.Name, e.Title, o, e.Networks(o));
    }

    static ExperimentPlan Cifar(string name, string title, ReproduceOptions o, IReadOnlyList<(string Net, string Group)> nets)
    {
        var baseline = Recipes.PaperCifar with { Data = o.Data ?? "cifar10", DataDir = o.DataDir };
        var runs = Runs(nets, o, net => Evaluations(Schedule(baseline with { Model = net }, o.Budget), CifarTestImages));
        var config = runs[0].Config;
        var warmup = nets.Any(n => ModelZoo.Get(n.Net).Depth >= config.PaperWarmupMinDepth)
            ? $"; {config.PaperWarmupMinDepth} layers and deeper first train at {config.PaperWarmupLearningRate} until the training error is below {config.PaperWarmupUntilError * 100:0}% (the paper's warm-up)"
            : "";
        var protocol = new Protocol(
            Data: DataName(config.Data),
            Split: config.Data is "cifar10" or "cifar100" ? "train 50k / test 10k" : "the data's train/ and test/ sets (the CIFAR-10 archive: 50k / 10k)",
            Views: "1 view: the original 32x32 test image",
            Schedule: $"{config.Recipe}, {config.Iterations} it, lr {config.LearningRate} ÷10 at {string.Join("/", config.Milestones)} as planned{warmup} (each run's schedule as taken is listed below), batch {config.BatchSize}, " +
                      $"{EvaluationText(config)}{BudgetText(o.Budget)}{InitText(o, nets)}",
            Seeds: SeedsText(o.Seeds),
            Measured: MeasuredText(o, config.Data is "cifar10" or "cifar100" ? CifarTestImages : null));
        return new ExperimentPlan(name, title, o, protocol, runs, CifarTestImages);
    }

    static ExperimentPlan ImageFolder(string name, string title, ReproduceOptions o, IReadOnlyList<(string Net, string Group)> nets)
    {
        if (string.IsNullOrWhiteSpace(o.Data) || o.Data.Trim().ToLowerInvariant() is "cifar10" or "cifar100" or "imagenet")
            throw new ArgumentException(
                $"The {name} experiment trains ImageNet networks on an ImageFolder: give its root (with train/ and test/ or val/ folders) " +
                "or a .tar.gz of one as the data (--data), e.g. the CIFAR-10 JPEG archive, which the augmentation upscales to the crop size.");
        var crop = o.ImageFolderCropSize;
        var baseline = Recipes.PaperImageNet with { Data = o.Data, DataDir = o.DataDir, CropSize = crop };
        // the plateau rule counts evaluations, so evaluations are spaced like the paper's relative to the schedule
        // (capped so that evaluating costs at most EvaluationShare of training; the test set size is assumed before it is opened)
        var runs = Runs(nets, o, net =>
        {
            var c = Schedule(baseline with { Model = net }, o.Budget);
            return c with { EvalEvery = Math.Max(Math.Max(1, (int)Math.Round(baseline.EvalEvery * o.Budget)), CappedSpacing(c, AssumedImageFolderTestImages)) };
        });
        var config = runs[0].Config;
        var protocol = new Protocol(
            Data: $"ImageFolder {DataName(o.Data)}",
            Split: "its train/ and test/ (or val/) folders",
            Views: $"1 view: centre {crop}x{crop} crop of the image resized to shorter side {TestView.PaperShorterSide(crop)} (paper: 10-crop at 224)",
            Schedule: $"{config.Recipe} at {crop}px, {config.Iterations} it, lr {config.LearningRate} ÷10 on plateau (evaluated every {config.EvalEvery} it; each run's schedule as taken is listed below), batch {config.BatchSize}{BudgetText(o.Budget)}{InitText(o, nets)}",
            Seeds: SeedsText(o.Seeds),
            Measured: MeasuredText(o, null));
        return new ExperimentPlan(name, title, o, protocol, runs, AssumedImageFolderTestImages, TestImagesAssumed: true);
    }

    static PlannedRun[] Runs(IReadOnlyList<(string Net, string Group)> nets, ReproduceOptions o, Func<string, TrainingConfig> configure) =>
        [.. nets.SelectMany(n => Enumerable.Range(0, o.Seeds).Select(seed =>
            new PlannedRun($"{n.Net}-seed{seed}", n.Net, n.Group, seed, configure(n.Net) with
            {
                Seed = seed,
                ZeroInitLast = o.ZeroInitResidual && ModelZoo.Get(n.Net).Residual,
            })))];

    // Mini-batches per epoch of CIFAR's 50k training images at the paper's batch of 128.
    const int CifarBatchesPerEpoch = 391;

    const int CifarTestImages = 10_000;

    // The CIFAR-10 JPEG archive's test folder; an ImageFolder's real size is known only once it is opened.
    const int AssumedImageFolderTestImages = 10_000;

    /// <summary>
    /// Evaluations during training may cost at most this fraction of the training itself (counting an evaluated image as
    /// <see cref="ForwardShare"/> of a trained one); the final evaluation is always made.
    /// </summary>
    public const double EvaluationShare = 0.25;

    /// <summary>A forward pass is about a third of a training step's forward + backward + update per image.</summary>
    public const double ForwardShare = 1.0 / 3;

    // Fig. 6 draws the test error along the whole run. Once per epoch (the trainer's default) does that for long
    // schedules; a budget of fewer than four epochs gets four evaluations, spread evenly; either is capped so that
    // evaluating costs at most EvaluationShare of training (a tiny budget is then evaluated once, at its end).
    static TrainingConfig Evaluations(TrainingConfig config, int testImages)
    {
        var wanted = config.Iterations < 4 * CifarBatchesPerEpoch ? Math.Max(1, config.Iterations / 4) : 0;
        var capped = CappedSpacing(config, testImages);
        if (wanted == 0 && capped <= CifarBatchesPerEpoch) return config;
        return config with { EvalEvery = Math.Max(wanted, capped) };
    }

    /// <summary>The smallest evaluation spacing (iterations) that keeps evaluation within <see cref="EvaluationShare"/> of training.</summary>
    static int CappedSpacing(TrainingConfig config, int testImages)
    {
        var allowed = (int)Math.Floor(EvaluationShare * config.Iterations * config.BatchSize / (testImages * ForwardShare));
        return allowed < 1 ? config.Iterations : (int)Math.Ceiling(config.Iterations / (double)allowed);
    }

    static TrainingConfig Schedule(TrainingConfig config, double budget) => budget < 1 ? config.Scaled(budget) : config;

    static string BudgetText(double budget) => budget < 1 ? $" (budget {budget:0.#####} of the paper's schedule)" : " (full paper schedule)";

    static string EvaluationText(TrainingConfig config) =>
        config.EvalEvery == 0 ? "test set evaluated once per epoch"
        : config.EvalEvery >= config.Iterations ? "test set evaluated once, at the end (more would cost more than a quarter of the training)"
        : $"test set evaluated every {config.EvalEvery} it";

    static string InitText(ReproduceOptions o, IReadOnlyList<(string Net, string Group)> nets) =>
        !o.ZeroInitResidual ? ""
        : nets.Any(n => !ModelZoo.Get(n.Net).Residual)
            ? ", residual nets start with each unit's last BN scale at zero (not the paper's init; plain nets have no such scale and keep the paper's init)"
            : ", each residual unit's last BN scale starts at zero (not the paper's init)";

    static string MeasuredText(ReproduceOptions o, int? testImages) =>
        $"final training error measured after training in eval mode on {o.TrainMeasureImages:N0} evenly spaced training images (no augmentation); " +
        $"test error: the last evaluation, over the whole test set{(testImages is { } n ? $" ({n:N0})" : "")}";

    // The data's name without the machine's folders ("cifar10", "cifar-10-jpeg.tar.gz").
    static string DataName(string data) => Path.GetFileName(data.TrimEnd('/', '\\')) is { Length: > 0 } name ? name : data;

    static string SeedsText(int seeds) => seeds == 1 ? "1 seed (0)" : $"{seeds} seeds (0–{seeds - 1})";
}
