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
