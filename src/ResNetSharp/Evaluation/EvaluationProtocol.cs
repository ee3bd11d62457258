using ResNetSharp.Data;
using ResNetSharp.Models;
using static TorchSharp.torch;

namespace ResNetSharp.Evaluation;

/// <summary>
/// A test protocol of the paper (or one of ours) as a value: its name on the command line, the view it takes of a
/// test image (built from the data set's own test view, resized by the one <see cref="TestView"/> rule) and the name
/// results and reports give it. <c>resnet eval --protocol</c>, releases and reports all take them from here.
/// </summary>
public sealed class EvaluationProtocol
{
    /// <summary>The data set's test view as it is: the paper's CIFAR test (section 4.2) and ImageNet single-crop test.</summary>
    public static readonly EvaluationProtocol Single = new("single", "single (the paper's CIFAR test)");

    /// <summary>The test view and its mirror, scores averaged (not the paper's).</summary>
    public static readonly EvaluationProtocol Flip = new("flip", "flip (single view and its mirror, scores averaged; not the paper's)");

    /// <summary>Four corners and the centre and their mirrors (section 4.1, "standard 10-crop testing").</summary>
    public static readonly EvaluationProtocol TenCrop = new("10-crop", "10-crop");

    /// <summary>The fully-convolutional network on the whole image at several scales, scores averaged (section 3.4).</summary>
    public static readonly EvaluationProtocol MultiScale = new("multi-scale", "multi-scale (fully convolutional, scores averaged over scales)");

    /// <summary>Every protocol, in the order help texts list them.</summary>
    public static IReadOnlyList<EvaluationProtocol> All { get; } = [Single, Flip, TenCrop, MultiScale];

    EvaluationProtocol(string name, string help)
    {
        Name = name;
        Help = help;
    }

    /// <summary>The protocol's name on the command line (<c>--protocol 10-crop</c>).</summary>
    public string Name { get; }

    /// <summary>A line for help texts.</summary>
    public string Help { get; }

    /// <summary>The protocol named <paramref name="name"/>; an unknown name fails listing the known ones.</summary>
    public static EvaluationProtocol Parse(string name) =>
        All.FirstOrDefault(p => p.Name.Equals(name?.Trim(), StringComparison.OrdinalIgnoreCase))
        ?? throw new ArgumentException($"Unknown protocol '{name}'. Use one of: {string.Join(", ", All.Select(p => p.Name))}.");

    /// <summary>The view of each test image, from the data set's own test view <paramref name="test"/>; not for <see cref="MultiScale"/>.</summary>
    public IImageTransform View(IImageTransform test)
    {
        if (this == MultiScale) throw new InvalidOperationException("Multi-scale testing has no fixed view; use EvaluationProtocol.Evaluate.");
        return this == TenCrop ? new Data.TenCrop(test.Height, TestView.TenCropShorterSide(test.Height))
            : this == Flip ? new FlipViews(test)
            : test;
    }

    /// <summary>The name results carry, e.g. "single view (original image)" or "10-crop (4 corners + centre, and flips)".</summary>
    public string ReportedName(IImageTransform test)
    {
        var single = test is OriginalImage ? "original image" : "centre crop";
        return this == TenCrop ? "10-crop (4 corners + centre, and flips)"
            : this == Flip ? $"flip-averaged ({single} and its mirror)"
            : this == MultiScale ? "multi-scale"
            : $"single view ({single})";
    }

    /// <summary>The paper's shorter sides {224, 256, 384, 480, 640}, scaled to a network whose input is <paramref name="crop"/>.</summary>
    public static IReadOnlyList<int> PaperScales(int crop) => [.. Data.MultiScale.PaperScales.Select(v => (int)Math.Round(v * crop / 224.0))];

    /// <summary>
    /// Evaluates <paramref name="model"/> on <paramref name="test"/> with this protocol. <paramref name="view"/> is the data
    /// set's own test view; <paramref name="batchSize"/> counts views, so a 10-crop batch holds a tenth as many images.
    /// Multi-scale uses <paramref name="scales"/>, by default <see cref="PaperScales"/>. <paramref name="logits"/> replaces the
    /// network's own forward for the fixed-size protocols (e.g. ONNX Runtime running its exported graph).
    /// </summary>
    public EvaluationResult Evaluate(ResNet model, IImageDataset test, IImageTransform view, Normalization normalization,
        int batchSize = 256, int workers = 2, IReadOnlyList<int>? scales = null, Action<int, int>? progress = null, Func<Tensor, Tensor>? logits = null)
    {
        if (this == MultiScale) return Evaluator.EvaluateMultiScale(model, test, normalization, scales ?? PaperScales(view.Height), progress);
        var views = View(view);
        var loader = new DataLoader(test, views, new DataLoaderOptions
        {
            BatchSize = Math.Max(1, batchSize / views.Views),
            Shuffle = false,
            Workers = workers,
            Normalization = normalization,
        });
        return Evaluator.Evaluate(model, loader, ReportedName(view), progress, logits: logits);
    }

    /// <inheritdoc />
    public override string ToString() => Name;
}
