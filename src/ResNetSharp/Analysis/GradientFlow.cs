using System.Globalization;
using ResNetSharp.Data;
using ResNetSharp.Models;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace ResNetSharp.Analysis;

/// <summary>What <see cref="GradientFlow.Run"/> measures: the networks (depths × shortcut coefficients, and plain nets) and the batch.</summary>
public sealed record GradientFlowOptions
{
    /// <summary>CIFAR depths 6n+2 (the paper's 20, 32, 44, 56, 110).</summary>
    public IReadOnlyList<int> Depths { get; init; } = [20, 32, 44, 56, 110];

    /// <summary>Shortcut coefficients λ: every unit computes ReLU(λ·x + F(x)) (Identity Mappings eq. 3 with λ on the shortcut; the residual × 1).</summary>
    public IReadOnlyList<double> Lambdas { get; init; } = [0.5, 1, 1.5];

    /// <summary>Also the plain nets of the same depths (no shortcut).</summary>
    public bool Plain { get; init; } = true;

    /// <summary>
    /// Also every residual net with its residual branches starting at zero (each unit's last BN scale 0, Goyal et al. 2017), where a
    /// unit is exactly ReLU(λ·x) at initialisation: the shortcut path alone, the seed's argument in isolation.
    /// </summary>
    public bool ZeroInitResidual { get; init; } = true;

    /// <summary>Images of the batch the loss is taken on.</summary>
    public int Images { get; init; } = 16;

    /// <summary>Seed of every network's initialisation (each is initialised afresh from it).</summary>
    public int Seed { get; init; }

    /// <summary>Throws <see cref="ArgumentException"/> naming the first option that makes no sense.</summary>
    public GradientFlowOptions Validate()
    {
        if (Depths.Count == 0 || Depths.Any(d => d < 8 || (d - 2) % 6 != 0))
            throw new ArgumentException($"Gradient flow measures CIFAR nets of depth 6n+2 (8, 14, 20, 32, 44, 56, 110, ...); got {string.Join(", ", Depths)}.");
        if (Lambdas.Count == 0 || Lambdas.Any(l => !(l > 0) || !double.IsFinite(l)))
            throw new ArgumentException($"Shortcut coefficients must be positive and finite; got {string.Join(", ", Lambdas)}.");
        if (Images < 2) throw new ArgumentException($"Train-mode BN needs a batch of at least 2 images (got {Images}).");
        return this;
    }

    /// <summary>The networks measured, by name (<see cref="ModelZoo.Get"/>), with their depth, λ (null: plain) and initialisation.</summary>
    public IReadOnlyList<(string Network, int Depth, double? Lambda, bool ZeroInitResidual)> Networks() =>
    [
        .. Depths.SelectMany(d => Lambdas.Select(l => (GradientFlow.NetworkName(d, l), d, (double?)l, false))),
        .. Plain ? Depths.Select(d => ($"plain-{d}", d, (double?)null, false)) : [],
        .. ZeroInitResidual ? Depths.SelectMany(d => Lambdas.Select(l => (GradientFlow.NetworkName(d, l), d, (double?)l, true))) : [],
    ];
}

/// <summary>
/// The loss gradient's norm at the input of every unit of one network at initialisation, in forward order
/// (<see cref="Norms"/>[0] is the first unit's input), and its fitted slope.
/// </summary>
/// <param name="Network">Its name (<see cref="ModelZoo.Get"/>).</param>
/// <param name="Depth">Weighted layers.</param>
/// <param name="Lambda">The shortcut coefficient, null for a plain net.</param>
/// <param name="Norms">‖∂loss/∂x_l‖ over the whole batch, per unit l.</param>
/// <param name="ZeroInitResidual">The residual branches started at zero (each unit's last BN scale 0) instead of the paper's initialisation.</param>
public sealed record GradientFlowCurve(string Network, int Depth, double? Lambda, IReadOnlyList<double> Norms, bool ZeroInitResidual = false)
{
    /// <summary>Units crossed from the last unit's input back to unit l's: L − 1 − l.</summary>
    public IReadOnlyList<int> UnitsCrossed => [.. Enumerable.Range(0, Norms.Count).Select(l => Norms.Count - 1 - l)];

    /// <summary>The least-squares slope of ln‖g_l‖ against <see cref="UnitsCrossed"/> and its standard error.</summary>
    public (double Slope, double StandardError) Fit => GradientFlow.FitSlope(UnitsCrossed.Select(k => (double)k).ToArray(), [.. Norms.Select(n => Math.Log(n))]);

    /// <summary>The seed's prediction: each unit crossed multiplies the gradient by λ, a slope of ln λ (none for plain nets).</summary>
    public double? PredictedSlope => Lambda is { } l ? Math.Log(l) : null;

    /// <summary>‖g‖ at the first unit over ‖g‖ at the last: how much the gradient grew (&gt; 1) or shrank on its way back.</summary>
    public double FirstOverLast => Norms[0] / Norms[^1];
}

/// <summary>What a gradient-flow run found, with how it was measured.</summary>
/// <param name="Options">The networks and batch.</param>
/// <param name="Data">Where the images came from.</param>
/// <param name="Curves">One per network, in <see cref="GradientFlowOptions.Networks"/> order.</param>
/// <param name="Seconds">Wall time of the measurement.</param>
public sealed record GradientFlowResult(GradientFlowOptions Options, string Data, IReadOnlyList<GradientFlowCurve> Curves, double Seconds);

/// <summary>
/// Why the shortcut's coefficient must be 1 (Identity Mappings sec. 3, eq. 4–5): with x_{l+1} = λ·x_l + F(x_l) the
/// gradient reaching unit l from unit L carries ∏ λ over the units between them, so it vanishes for λ &lt; 1 and explodes
/// for λ &gt; 1. Measured here without training: the norm of the loss gradient at each unit's input, at the paper's
/// initialisation, BN in training mode (batch statistics, as during training), on one batch of real images.
/// </summary>
public static class GradientFlow
{
    /// <summary>The name <c>resnet reproduce</c> takes for this analysis.</summary>
    public const string ExperimentName = "gradient-flow";

    /// <summary>The network of depth <paramref name="depth"/> with shortcut coefficient <paramref name="lambda"/> (residual × 1).</summary>
    public static string NetworkName(int depth, double lambda) =>
        lambda == 1 ? $"resnet{depth}" : string.Create(CultureInfo.InvariantCulture, $"resnet{depth}-shortcut-scale{lambda}");

    /// <summary>
    /// ‖∂loss/∂x_l‖ at the input x_l of every unit of <paramref name="model"/> (forward order), the loss being the mean
    /// cross-entropy of <paramref name="images"/> against <paramref name="labels"/>, BN in training mode. The model's
    /// parameters are left as they are (no step is taken; their gradients are not touched) and its mode is restored.
    /// </summary>
    public static IReadOnlyList<double> Measure(ResNetSharp.Models.ResNet model, Tensor images, Tensor labels)
    {
        ArgumentNullException.ThrowIfNull(model);
        var modules = model.named_modules().ToDictionary(m => m.name, m => m.module);
        var units = model.Spec.Units();
        var inputs = new Tensor?[units.Count];
        var hooks = units.Select((u, i) => ((Module<Tensor, Tensor>)modules[u.Path]).register_forward_pre_hook((_, input) =>
        {
            // a second handle to the same tensor, kept past the forward (Sequential disposes its intermediate results)
            inputs[i] = input.alias().DetachFromDisposeScope();
            return input;
        })).ToList();
        var wasTraining = model.training;
        try
        {
            model.train();
            using var scope = NewDisposeScope();
            var loss = functional.cross_entropy(model.call(images), labels);
            if (inputs.Any(t => t is null)) throw new InvalidOperationException($"{model.Spec.Name}: not every unit saw its input.");
            var grads = TorchSharp.torch.autograd.grad([loss], [.. inputs.Select(t => t!)]);
            return [.. grads.Select(g => g.to_type(ScalarType.Float64).norm().item<double>())];
        }
        finally
        {
            foreach (var hook in hooks) hook.remove();
            foreach (var t in inputs) t?.Dispose();
            model.train(wasTraining);
        }
    }

    /// <summary>Least-squares slope of <paramref name="y"/> against <paramref name="x"/>, with its standard error (0 for two points).</summary>
    public static (double Slope, double StandardError) FitSlope(IReadOnlyList<double> x, IReadOnlyList<double> y)
    {
        if (x.Count != y.Count || x.Count < 2) throw new ArgumentException("Fitting a slope needs at least two (x, y) pairs of equal count.");
        double mx = x.Average(), my = y.Average();
        var sxx = x.Sum(v => (v - mx) * (v - mx));
        var slope = x.Zip(y).Sum(p => (p.First - mx) * (p.Second - my)) / sxx;
        if (x.Count < 3) return (slope, 0);
        var residuals = x.Zip(y).Sum(p => Math.Pow(p.Second - my - slope * (p.First - mx), 2));
        return (slope, Math.Sqrt(residuals / (x.Count - 2) / sxx));
    }

    /// <summary>
    /// Measures every network of <paramref name="options"/> on the batch (<paramref name="images"/> [N, 3, 32, 32],
    /// normalised; <paramref name="labels"/> [N]), each initialised afresh from the options' seed.
    /// </summary>
    public static IReadOnlyList<GradientFlowCurve> Run(GradientFlowOptions options, Tensor images, Tensor labels, Action<string>? progress = null)
    {
        options.Validate();
        var curves = new List<GradientFlowCurve>();
        foreach (var (network, depth, lambda, zero) in options.Networks())
        {
            progress?.Invoke(network + (zero ? " (residual branches at zero)" : ""));
            manual_seed(options.Seed);
            using var model = new ResNetSharp.Models.ResNet(ModelZoo.Get(network) with { ZeroInitLast = zero });
            curves.Add(new GradientFlowCurve(network, depth, lambda, Measure(model, images, labels), zero));
        }
        return curves;
    }

    /// <summary>
    /// <paramref name="count"/> training images evenly spaced over an ImageFolder's train/ set (the embedded CIFAR-10 sample
    /// when <paramref name="data"/> is null; a folder or .tar.gz of one otherwise), 32x32, normalised per channel by the
    /// batch's own mean and std, with their labels.
    /// </summary>
    /// <exception cref="ArgumentException">The data has fewer images, or they are not 32x32.</exception>
    public static (Tensor Images, Tensor Labels, string Source) CifarBatch(string? data, int count)
    {
        var root = data is null ? EmbeddedSample.Unpack()
            : data.EndsWith(".tar.gz", StringComparison.OrdinalIgnoreCase) || data.EndsWith(".tgz", StringComparison.OrdinalIgnoreCase) ? ArchiveCache.Unpack(data)
            : data;
        if (!Directory.Exists(root))
            throw new DirectoryNotFoundException($"'{data}' is not a folder or .tar.gz of one; give a CIFAR-10 ImageFolder (train/<class>/*.png|jpg) or leave --data out for the embedded sample.");
        var train = Directory.Exists(Path.Combine(root, "train")) ? Path.Combine(root, "train")
            : Directory.EnumerateDirectories(root, "train", SearchOption.AllDirectories).FirstOrDefault() ?? root;
        var folder = ImageFolder.Open(train);
        if (folder.Count < count) throw new ArgumentException($"{train} has {folder.Count} images; the batch needs {count}.");
        var pixels = new float[count * 3 * 32 * 32];
        var labels = new long[count];
        for (var i = 0; i < count; i++)
        {
            var index = (int)((long)i * folder.Count / count);
            var image = folder.Image(index);
            if (image.Width != 32 || image.Height != 32)
                throw new ArgumentException($"{folder.Files[index]} is {image.Width}x{image.Height}; gradient flow measures the CIFAR nets on 32x32 images.");
            var span = image.Pixels.Span;
            for (var c = 0; c < 3; c++)
                for (var p = 0; p < 32 * 32; p++)
                    pixels[((i * 3) + c) * 1024 + p] = span[p * 3 + c] / 255f;
            labels[i] = folder.Label(index);
        }
        var x = tensor(pixels, [count, 3, 32, 32]);
        var mean = x.mean([0, 2, 3], keepdim: true);
        var std = x.std([0, 2, 3], keepdim: true);
        var normalised = x.sub(mean).div_(std);
        x.Dispose();
        mean.Dispose();
        std.Dispose();
        return (normalised, tensor(labels), data is null ? $"the embedded CIFAR-10 sample ({count} training images, evenly spaced over its classes)" : $"{Path.GetFileName(data.TrimEnd('/'))} ({count} training images, evenly spaced)");
    }
}
