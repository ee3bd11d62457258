namespace ResNetSharp.Reproduce;

/// <summary>A network's numbers as the paper prints them (errors in %, parameters as printed, e.g. "0.27M").</summary>
public sealed record PaperFigure(string Source, double? Top1, double? Top5 = null, string? Parameters = null, string? Note = null);

/// <summary>The paper's numbers the report sets ours against (Tables 2, 3 and 6).</summary>
public static class PaperNumbers
{
    /// <summary>The paper's figure for <paramref name="network"/> in <paramref name="experiment"/>, or null when the paper has none.</summary>
    public static PaperFigure? For(string experiment, string network) => Experiments.Get(experiment).Paper(network);

    /// <summary>Table 6: CIFAR-10 test error (%) and parameters.</summary>
    public static IReadOnlyDictionary<string, PaperFigure> Table6 { get; } = new Dictionary<string, PaperFigure>
    {
        ["resnet20"] = new("Table 6", 8.75, Parameters: "0.27M"),
        ["resnet32"] = new("Table 6", 7.51, Parameters: "0.46M"),
        ["resnet44"] = new("Table 6", 7.17, Parameters: "0.66M"),
        ["resnet56"] = new("Table 6", 6.97, Parameters: "0.85M"),
        ["resnet110"] = new("Table 6", 6.43, Parameters: "1.7M", Note: "best of 5 (6.61 ± 0.16)"),
        ["resnet1202"] = new("Table 6", 7.93, Parameters: "19.4M"),
    };

    /// <summary>Identity Mappings (He et al., ECCV 2016) Table 2: CIFAR-10 test error (%) of ResNet-110 with the units of Fig. 4.</summary>
    public static IReadOnlyDictionary<string, PaperFigure> IdentityMappingsTable2 { get; } = new Dictionary<string, PaperFigure>
    {
        ["resnet110"] = new("Identity Mappings Table 2", 6.61, Note: "(a) original"),
        ["resnet110-bn-after-add"] = new("Identity Mappings Table 2", 8.17, Note: "(b)"),
        ["resnet110-relu-before-add"] = new("Identity Mappings Table 2", 7.84, Note: "(c)"),
        ["resnet110-relu-preact"] = new("Identity Mappings Table 2", 6.71, Note: "(d)"),
        ["preact-resnet110-basic-a"] = new("Identity Mappings Table 2", 6.37, Note: "(e)"),
    };

    /// <summary>
    /// Identity Mappings Table 1: CIFAR-10 test error (%) of ResNet-110 with the shortcuts of Fig. 2 (null: fails to converge).
    /// Not trained here: shortcut × 0.5 with the residual × 1 fails; exclusive gating b = 0…−5 fails, −7 9.81; shortcut-only gating b = −6 6.91.
    /// </summary>
    public static IReadOnlyDictionary<string, PaperFigure> IdentityMappingsTable1 { get; } = new Dictionary<string, PaperFigure>
    {
        ["resnet110"] = new("Identity Mappings Table 1", 6.61, Note: "identity"),
        ["resnet110-scale0.5"] = new("Identity Mappings Table 1", 12.35, Note: "shortcut and residual × 0.5 (residual × 1: fails)"),
        ["resnet110-gate"] = new("Identity Mappings Table 1", 8.70, Note: "exclusive gating, b = −6"),
        ["resnet110-shortcut-gate0"] = new("Identity Mappings Table 1", 12.86, Note: "shortcut-only gating, b = 0 (b = −6: 6.91)"),
        ["resnet110-conv-shortcut"] = new("Identity Mappings Table 1", 12.22, Note: "1x1 conv shortcut"),
        ["resnet110-dropout-shortcut"] = new("Identity Mappings Table 1", null, Note: "dropout 0.5: fails to converge"),
    };

    /// <summary>Table 2: ImageNet validation top-1 error (%), 10-crop; the residual nets use option A.</summary>
    public static IReadOnlyDictionary<string, PaperFigure> Table2 { get; } = new Dictionary<string, PaperFigure>
    {
        ["plain-18"] = new("Table 2", 27.94),
        ["plain-34"] = new("Table 2", 28.54),
        ["resnet18-a"] = new("Table 2", 27.88),
        ["resnet34-a"] = new("Table 2", 25.03),
    };

    /// <summary>Table 3: ImageNet validation top-1/top-5 error (%), 10-crop.</summary>
    public static IReadOnlyDictionary<string, PaperFigure> Table3 { get; } = new Dictionary<string, PaperFigure>
    {
        ["plain-34"] = new("Table 3", 28.54, 10.02),
        ["resnet34-a"] = new("Table 3", 25.03, 7.76),
        ["resnet34"] = new("Table 3", 24.52, 7.46),
        ["resnet34-c"] = new("Table 3", 24.19, 7.40),
        ["resnet50"] = new("Table 3", 22.85, 6.71),
        ["resnet101"] = new("Table 3", 21.75, 6.05),
        ["resnet152"] = new("Table 3", 21.43, 5.71),
    };
}
