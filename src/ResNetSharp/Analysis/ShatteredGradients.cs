using ResNetSharp.Models;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;
using BatchNorm2d = TorchSharp.Modules.BatchNorm2d;

namespace ResNetSharp.Analysis;

/// <summary>The two fully-connected nets of Balduzzi et al. (2017), section 2 and Fig. 1–2.</summary>
public enum SweepNet
{
    /// <summary>Depth L hidden layers h ← ReLU(W·h + b), no BN; the first maps the scalar input to the width.</summary>
    Plain,

    /// <summary>Depth L hidden layers h ← ReLU(BN(W·h + b)); BN as in <see cref="Residual"/>.</summary>
    PlainBatchNorm,

    /// <summary>A linear layer from the scalar input to the width, then L units h ← h + W·ReLU(BN(h)) + b.</summary>
    Residual,
}

/// <summary>The scalar-input setting: a sweep of <see cref="Points"/> inputs evenly spaced over [From, To] through nets of each depth.</summary>
public sealed record SweepOptions
{
    /// <summary>Hidden width of every layer (the paper: 200).</summary>
    public int Width { get; init; } = 200;

    /// <summary>Inputs in the sweep (the paper: 256).</summary>
    public int Points { get; init; } = 256;

    /// <summary>First input of the sweep.</summary>
    public double From { get; init; } = -2;

    /// <summary>Last input of the sweep.</summary>
    public double To { get; init; } = 2;

    /// <summary>Depths L (hidden layers of a plain net, units of a residual net).</summary>
    public IReadOnlyList<int> Depths { get; init; } = [2, 4, 8, 16, 24, 32, 50];

    /// <summary>Random initialisations per net and depth; the summaries are means over them.</summary>
    public int Inits { get; init; } = 8;

    /// <summary>Seed of the first initialisation; init i of a net of depth L draws from a seed derived from (Seed, net, L, i).</summary>
    public int Seed { get; init; } = 1;

    /// <summary>The sweep's inputs, evenly spaced from <see cref="From"/> to <see cref="To"/> inclusive.</summary>
    public double[] Inputs() => [.. Enumerable.Range(0, Points).Select(i => From + (To - From) * i / (Points - 1))];
}

/// <summary>
/// A fully-connected ReLU net on a scalar input, He-initialised, in float64 (so that 50 layers of rounding do not add
/// noise to the gradients whose correlation is measured). Weights are N(0, 2/fan_in) (He et al. 2015) in every layer,
/// biases U(−1/√fan_in, 1/√fan_in) (PyTorch's default for a linear layer): without biases a ReLU net of a scalar is
/// linear on each side of 0 and its gradient could not shatter. BN of a residual unit normalises each feature with the
/// mean and (biased) variance over the inputs given together, the batch; those statistics are held fixed when
/// differentiating, so <see cref="Gradients"/> is each input's own ∂f/∂x (a net in eval mode whose running statistics
/// are the batch's), not a derivative of the batch's coupling.
/// </summary>
public sealed class SweepNetwork : IDisposable
{
    /// <summary>BN's ε, as PyTorch's default.</summary>
    public const double Epsilon = 1e-5;

    readonly Tensor[] weights;
    readonly Tensor[] biases;

    SweepNetwork(SweepNet kind, int depth, Tensor[] weights, Tensor[] biases)
    {
        Kind = kind;
        Depth = depth;
        this.weights = weights;
        this.biases = biases;
    }

    /// <summary>Plain or residual.</summary>
    public SweepNet Kind { get; }

    /// <summary>Hidden layers (plain) or residual units.</summary>
    public int Depth { get; }

    /// <summary>Weights [out, in] in order: the input layer, the <see cref="Depth"/> − 1 further hidden layers (plain) or <see cref="Depth"/> units (residual), the output layer.</summary>
    public IReadOnlyList<Tensor> Weights => weights;

    /// <summary>Biases [out], in the order of <see cref="Weights"/>.</summary>
    public IReadOnlyList<Tensor> Biases => biases;

    /// <summary>A net of <paramref name="depth"/> ≥ 1 and <paramref name="width"/> ≥ 1, drawn from <paramref name="seed"/> (the same seed gives the same net on any machine).</summary>
    public static SweepNetwork Create(SweepNet kind, int depth, int width, int seed)
    {
        if (depth < 1) throw new ArgumentOutOfRangeException(nameof(depth), depth, "A sweep net has at least one layer (plain) or unit (residual).");
        if (width < 1) throw new ArgumentOutOfRangeException(nameof(width), width, "A sweep net has at least one unit per layer.");
        Runtime.TorchRuntime.EnsureLoaded();
        var rng = new Random(seed);
        // plain: 1→w, then depth−1 of w→w; residual: 1→w, then depth units of w→w; both end with w→1
        var shapes = new List<(int Out, int In)> { (width, 1) };
        shapes.AddRange(Enumerable.Repeat((width, width), kind == SweepNet.Residual ? depth : depth - 1));
        shapes.Add((1, width));
        var w = new Tensor[shapes.Count];
        var b = new Tensor[shapes.Count];
        for (var i = 0; i < shapes.Count; i++)
        {
            var (o, n) = shapes[i];
            w[i] = tensor(Normal(rng, o * n, Math.Sqrt(2.0 / n)), [o, n], ScalarType.Float64);
            var bound = 1 / Math.Sqrt(n);
            b[i] = tensor([.. Enumerable.Range(0, o).Select(_ => (rng.NextDouble() * 2 - 1) * bound)], [o], ScalarType.Float64);
        }
        return new SweepNetwork(kind, depth, w, b);
    }

    /// <summary>∂f/∂x at each of <paramref name="inputs"/>, which are also the batch the residual net's BN normalises over.</summary>
    public double[] Gradients(IReadOnlyList<double> inputs)
    {
        if (inputs.Count == 0) throw new ArgumentException("Give at least one input.", nameof(inputs));
        using var scope = NewDisposeScope();
        var x = tensor(inputs.ToArray(), [inputs.Count, 1], ScalarType.Float64).requires_grad_();
        Forward(x).sum().backward();
        return x.grad!.reshape(-1).data<double>().ToArray();
    }

    /// <summary>f at each row of <paramref name="x"/> [N, 1] (the batch the residual net's BN normalises over), [N, 1].</summary>
    public Tensor Forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var last = weights.Length - 1;
        Tensor h;
        if (Kind == SweepNet.Residual)
        {
            h = functional.linear(x, weights[0], biases[0]);
            for (var i = 1; i < last; i++) h = h + functional.linear(functional.relu(BatchNorm(h)), weights[i], biases[i]);
        }
        else
        {
            h = x;
            for (var i = 0; i < last; i++)
            {
                var z = functional.linear(h, weights[i], biases[i]);
                h = functional.relu(Kind == SweepNet.PlainBatchNorm ? BatchNorm(z) : z);
            }
        }
        return functional.linear(h, weights[last], biases[last]).MoveToOuterDisposeScope();
    }

    // BN over the batch with its statistics held fixed (see the class summary); γ = 1, β = 0 at initialisation
    static Tensor BatchNorm(Tensor h)
    {
        var mean = h.mean([0]).detach();
        var std = (h.var(0, unbiased: false) + Epsilon).sqrt().detach();
        return (h - mean) / std;
    }

    static double[] Normal(Random rng, int count, double std)
    {
        var values = new double[count];
        for (var i = 0; i < count; i++)
        {
            // Box–Muller: reproducible from the seed on every platform, unlike libtorch's generators across versions
            var u = 1 - rng.NextDouble();
            values[i] = std * Math.Sqrt(-2 * Math.Log(u)) * Math.Cos(2 * Math.PI * rng.NextDouble());
        }
        return values;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var t in weights.Concat(biases)) t.Dispose();
    }
}

/// <summary>One net and depth of the sweep, over its initialisations.</summary>
/// <param name="Net">Plain or residual.</param>
/// <param name="Depth">Hidden layers or units.</param>
/// <param name="Gradients">∂f/∂x along the sweep, first initialisation.</param>
/// <param name="Autocorrelation">The normalised autocorrelation by lag 0 … Points/2, mean over initialisations.</param>
/// <param name="Lag1PerInit">The lag-1 autocorrelation (neighbouring inputs) of each initialisation.</param>
public sealed record SweepMeasurement(SweepNet Net, int Depth, IReadOnlyList<double> Gradients, IReadOnlyList<double> Autocorrelation, IReadOnlyList<double> Lag1PerInit)
{
    /// <summary>Mean lag-1 autocorrelation over initialisations.</summary>
    public double Lag1 => Lag1PerInit.Average();

    /// <summary>Its standard error: the sample std over initialisations / √initialisations (0 for one).</summary>
    public double Lag1StandardError => ShatteredGradients.StandardError(Lag1PerInit);
}

/// <summary>A least-squares line y = Intercept + Slope·x, with the slope's standard error and R².</summary>
public sealed record LineFit(double Slope, double Intercept, double SlopeStandardError, double RSquared, int Points)
{
    /// <summary>Fits <paramref name="y"/> against <paramref name="x"/> (at least two points with distinct x; the slope's SE needs three).</summary>
    /// <exception cref="ArgumentException">Fewer than two points, lengths differ, or all x equal.</exception>
    public static LineFit Of(IReadOnlyList<double> x, IReadOnlyList<double> y)
    {
        if (x.Count != y.Count) throw new ArgumentException($"x has {x.Count} values and y {y.Count}; give one y per x.", nameof(y));
        var n = x.Count;
        if (n < 2) throw new ArgumentException($"A line needs at least two points (got {n}).", nameof(x));
        double mx = x.Average(), my = y.Average();
        double sxx = 0, sxy = 0, syy = 0;
        for (var i = 0; i < n; i++)
        {
            sxx += (x[i] - mx) * (x[i] - mx);
            sxy += (x[i] - mx) * (y[i] - my);
            syy += (y[i] - my) * (y[i] - my);
        }
        if (sxx == 0) throw new ArgumentException("All x are equal: no slope can be fitted.", nameof(x));
        var slope = sxy / sxx;
        var intercept = my - slope * mx;
        var residual = 0.0;
        for (var i = 0; i < n; i++) residual += Math.Pow(y[i] - intercept - slope * x[i], 2);
        var se = n > 2 ? Math.Sqrt(residual / (n - 2) / sxx) : double.NaN;
        return new LineFit(slope, intercept, se, syy == 0 ? 1 : 1 - residual / syy, n);
    }
}

/// <summary>
/// Correlation c(L) = C·e^(−Rate·L) fitted as a line of ln c against L. The paper's plain-net prediction, c ∝ 2^(−L), is
/// Rate = ln 2 ≈ 0.693 per layer.
/// </summary>
public sealed record ExponentialFit(LineFit Line)
{
    /// <summary>Decay rate per layer (−slope of ln c against L).</summary>
    public double Rate => -Line.Slope;

    /// <summary>c at depth <paramref name="depth"/> on the fitted curve.</summary>
    public double At(double depth) => Math.Exp(Line.Intercept + Line.Slope * depth);
}

/// <summary>
/// Correlation c(L) = C·L^(−Exponent) fitted as a line of ln c against ln L. The paper's residual-net prediction,
/// c ∝ 1/√L, is Exponent = 0.5.
/// </summary>
public sealed record PowerFit(LineFit Line)
{
    /// <summary>The power of 1/L (−slope of ln c against ln L).</summary>
    public double Exponent => -Line.Slope;

    /// <summary>c at depth <paramref name="depth"/> on the fitted curve.</summary>
    public double At(double depth) => Math.Exp(Line.Intercept + Line.Slope * Math.Log(depth));
}

/// <summary>
/// Per-image correlations of a CIFAR net's input gradients with those of shifted and interpolated copies of the image.
/// <see cref="ByShift"/>[s][i] is image i's correlation at <see cref="Shifts"/>[s], <see cref="ByMix"/>[m][i] at <see cref="Mixes"/>[m].
/// </summary>
public sealed record ImageGradientCorrelations(IReadOnlyList<int> Shifts, IReadOnlyList<double> Mixes, IReadOnlyList<IReadOnlyList<double>> ByShift, IReadOnlyList<IReadOnlyList<double>> ByMix)
{
    /// <summary>The correlations of several measurements (initialisations) pooled per shift and per mix.</summary>
    public static ImageGradientCorrelations Pool(IReadOnlyList<ImageGradientCorrelations> parts) => new(
        parts[0].Shifts, parts[0].Mixes,
        [.. parts[0].Shifts.Select((_, s) => (IReadOnlyList<double>)[.. parts.SelectMany(p => p.ByShift[s])])],
        [.. parts[0].Mixes.Select((_, m) => (IReadOnlyList<double>)[.. parts.SelectMany(p => p.ByMix[m])])]);
}

/// <summary>
/// The measurement of Balduzzi et al., <i>The Shattered Gradients Problem: If resnets are the answer, then what is the
/// question?</i> (ICML 2017): how correlated a net's gradients with respect to its input are at nearby inputs. Their
/// claim: at initialisation the correlation falls like 2^(−L) with depth in plain nets and like 1/√L in residual nets
/// with BN, so deep plain nets' gradients look like white noise ("shattered") and residual nets' do not.
/// </summary>
public static class ShatteredGradients
{
    /// <summary>
    /// The normalised autocorrelation of <paramref name="signal"/> at lags 0 … <paramref name="maxLag"/>: at lag k the
    /// correlation coefficient (about zero, not about the mean) of the signal with itself shifted by k,
    /// Σ g_i g_(i+k) / √(Σ g_i² · Σ g_(i+k)²) over the N − k overlapping pairs. Not centred because, over random
    /// initialisations, a gradient's mean is zero (the output weights are symmetric), so this is the paper's normalised
    /// covariance of gradients; a constant signal correlates 1 at every lag, a sine cos(ωk), white noise about 0. NaN
    /// where one of the two segments is all zeros.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxLag"/> is negative or not below the signal's length.</exception>
    public static double[] Autocorrelation(IReadOnlyList<double> signal, int maxLag)
    {
        var n = signal.Count;
        if (maxLag < 0 || maxLag >= n)
            throw new ArgumentOutOfRangeException(nameof(maxLag), maxLag, $"The lag must be in [0, {n - 1}] for a signal of {n} values.");
        var r = new double[maxLag + 1];
        for (var k = 0; k <= maxLag; k++)
        {
            double ab = 0, aa = 0, bb = 0;
            for (var i = 0; i + k < n; i++)
            {
                ab += signal[i] * signal[i + k];
                aa += signal[i] * signal[i];
                bb += signal[i + k] * signal[i + k];
            }
            r[k] = aa == 0 || bb == 0 ? double.NaN : ab / Math.Sqrt(aa * bb);
        }
        return r;
    }

    /// <summary>The sample std of <paramref name="values"/> / √count (0 for fewer than two).</summary>
    public static double StandardError(IReadOnlyList<double> values)
    {
        if (values.Count < 2) return 0;
        var mean = values.Average();
        return Math.Sqrt(values.Sum(v => (v - mean) * (v - mean)) / (values.Count - 1) / values.Count);
    }

    /// <summary>Fits c = C·e^(−rate·L) to the positive correlations (non-positive ones have no logarithm and are left out).</summary>
    /// <exception cref="ArgumentException">Fewer than two positive correlations at distinct depths.</exception>
    public static ExponentialFit FitExponential(IReadOnlyList<double> depths, IReadOnlyList<double> correlations)
    {
        var kept = Positive(depths, correlations);
        return new ExponentialFit(LineFit.Of([.. kept.Select(p => p.Depth)], [.. kept.Select(p => Math.Log(p.C))]));
    }

    /// <summary>Fits c = C·L^(−exponent) to the positive correlations (non-positive ones are left out).</summary>
    /// <exception cref="ArgumentException">Fewer than two positive correlations at distinct depths.</exception>
    public static PowerFit FitPower(IReadOnlyList<double> depths, IReadOnlyList<double> correlations)
    {
        var kept = Positive(depths, correlations);
        return new PowerFit(LineFit.Of([.. kept.Select(p => Math.Log(p.Depth))], [.. kept.Select(p => Math.Log(p.C))]));
    }

    static (double Depth, double C)[] Positive(IReadOnlyList<double> depths, IReadOnlyList<double> correlations)
    {
        if (depths.Count != correlations.Count)
            throw new ArgumentException($"{depths.Count} depths and {correlations.Count} correlations; give one correlation per depth.", nameof(correlations));
        return [.. depths.Zip(correlations).Where(p => p.Second > 0 && double.IsFinite(p.Second))];
    }

    /// <summary>
    /// Measures both nets at every depth of <paramref name="options"/>: ∂f/∂x along the sweep, its autocorrelation
    /// (lags up to half the sweep) and lag-1 correlation, for each initialisation. <paramref name="progress"/> hears each
    /// finished net and depth.
    /// </summary>
    public static IReadOnlyList<SweepMeasurement> MeasureSweep(SweepOptions options, Action<SweepMeasurement>? progress = null)
    {
        if (options.Points < 3) throw new ArgumentException($"A sweep needs at least 3 points (got {options.Points}).", nameof(options));
        if (options.Inits < 1) throw new ArgumentException($"Give at least one initialisation (got {options.Inits}).", nameof(options));
        var inputs = options.Inputs();
        var maxLag = options.Points / 2;
        var results = new List<SweepMeasurement>();
        foreach (var net in Enum.GetValues<SweepNet>())
        {
            foreach (var depth in options.Depths)
            {
                double[]? first = null;
                var sum = new double[maxLag + 1];
                var counts = new int[maxLag + 1];
                var lag1 = new List<double>();
                for (var i = 0; i < options.Inits; i++)
                {
                    using var model = SweepNetwork.Create(net, depth, options.Width, SeedOf(options.Seed, net, depth, i));
                    var g = model.Gradients(inputs);
                    first ??= g;
                    var r = Autocorrelation(g, maxLag);
                    for (var k = 0; k <= maxLag; k++)
                    {
                        if (double.IsNaN(r[k])) continue;
                        sum[k] += r[k];
                        counts[k]++;
                    }
                    if (!double.IsNaN(r[1])) lag1.Add(r[1]);
                }
                var m = new SweepMeasurement(net, depth, first!, [.. sum.Select((s, k) => counts[k] == 0 ? double.NaN : s / counts[k])], lag1);
                results.Add(m);
                progress?.Invoke(m);
            }
        }
        return results;
    }

    /// <summary>The seed of initialisation <paramref name="init"/> of a net: distinct per net, depth and init, fixed across runs.</summary>
    public static int SeedOf(int seed, SweepNet net, int depth, int init) =>
        unchecked(seed * 1_000_003 + (int)net * 500_009 + depth * 10_007 + init);

    /// <summary>
    /// For each image of <paramref name="images"/> ([N, 3, H, W], normalised as for training): the correlation (cosine,
    /// about zero) of the input-gradient of one logit with the input-gradient of the same logit at
    /// <list type="bullet">
    /// <item>a copy translated right by s pixels (s in <paramref name="shifts"/>; the columns it vacates filled with 0, the
    /// training mean after normalisation), compared on the columns both images show, the copy's gradient moved back by s;</item>
    /// <item>a convex mix (1 − t)·image + t·partner for t in <paramref name="mixes"/>, the partner being the next image (cyclically).</item>
    /// </list>
    /// The logit is the one the network scores highest on the original image, kept for all its copies. The network is
    /// at initialisation, whose BN running statistics (0 and 1) say nothing about the data, so its BN statistics are first
    /// set to those of <paramref name="images"/> (one pass in training mode with momentum 1), then it runs in eval mode:
    /// images do not interact, and each gradient is the image's own. The model's BN running statistics are changed; its
    /// weights are not. <paramref name="chunk"/> inputs are differentiated at a time.
    /// </summary>
    public static ImageGradientCorrelations MeasureImages(ResNet model, Tensor images, IReadOnlyList<int> shifts, IReadOnlyList<double> mixes, int chunk = 32)
    {
        if (images.dim() != 4 || images.shape[0] < 2)
            throw new ArgumentException($"Give a batch [N ≥ 2, 3, H, W] of images (got [{string.Join(", ", images.shape)}]).", nameof(images));
        var width = images.shape[3];
        if (shifts.Any(s => s < 1 || s >= width))
            throw new ArgumentOutOfRangeException(nameof(shifts), $"Shifts must be in [1, {width - 1}] pixels.");
        if (mixes.Any(t => t <= 0 || t > 1))
            throw new ArgumentOutOfRangeException(nameof(mixes), "Mixes t must be in (0, 1].");
        var n = (int)images.shape[0];
        SetBatchStatistics(model, images);
        model.eval();
        long[] classes;
        using (no_grad())
        {
            using var logits = model.call(images);
            using var top = logits.argmax(1);
            classes = top.data<long>().ToArray();
        }

        // every input: (image, which copy); copy 0 is the original, then the shifts, then the mixes
        var perImage = 1 + shifts.Count + mixes.Count;
        var gradients = new Tensor[n * perImage];
        try
        {
            var jobs = Enumerable.Range(0, n * perImage).ToArray();
            foreach (var part in jobs.Chunk(Math.Max(1, chunk)))
            {
                using var scope = NewDisposeScope();
                var inputs = cat([.. part.Select(j => Copy(images, j / perImage, j % perImage, shifts, mixes))]).requires_grad_();
                var logits = model.call(inputs);
                var picked = tensor([.. part.Select(j => classes[j / perImage])], ScalarType.Int64).unsqueeze(1);
                logits.gather(1, picked).sum().backward();
                for (var k = 0; k < part.Length; k++) gradients[part[k]] = inputs.grad![k].detach().clone().MoveToOuterDisposeScope();
            }
            var byShift = shifts.Select((s, si) => (IReadOnlyList<double>)[.. Enumerable.Range(0, n).Select(i =>
            {
                var g0 = gradients[i * perImage];
                var gs = gradients[i * perImage + 1 + si];
                using var scope = NewDisposeScope();
                return Cosine(g0.narrow(2, 0, width - s), gs.narrow(2, s, width - s));
            })]).ToArray();
            var byMix = mixes.Select((_, mi) => (IReadOnlyList<double>)[.. Enumerable.Range(0, n).Select(i =>
            {
                using var scope = NewDisposeScope();
                return Cosine(gradients[i * perImage], gradients[i * perImage + 1 + shifts.Count + mi]);
            })]).ToArray();
            return new ImageGradientCorrelations(shifts, mixes, byShift, byMix);
        }
        finally
        {
            foreach (var g in gradients) g?.Dispose();
        }
    }

    // copy c of image i, [1, 3, H, W]: 0 the original, then one per shift, then one per mix
    static Tensor Copy(Tensor images, int i, int c, IReadOnlyList<int> shifts, IReadOnlyList<double> mixes)
    {
        var image = images[i].unsqueeze(0);
        if (c == 0) return image.clone();
        if (c <= shifts.Count)
        {
            var s = shifts[c - 1];
            var width = image.shape[3];
            return functional.pad(image.narrow(3, 0, width - s), [s, 0, 0, 0]);
        }
        var t = mixes[c - 1 - shifts.Count];
        var partner = images[(i + 1) % (int)images.shape[0]].unsqueeze(0);
        return image * (1 - t) + partner * t;
    }

    static double Cosine(Tensor a, Tensor b)
    {
        var x = a.to_type(ScalarType.Float64).reshape(-1);
        var y = b.to_type(ScalarType.Float64).reshape(-1);
        var denominator = (x.dot(x) * y.dot(y)).sqrt().item<double>();
        return denominator == 0 ? double.NaN : x.dot(y).item<double>() / denominator;
    }

    // BN running statistics := the statistics of these images (momentum 1 replaces them), weights untouched
    static void SetBatchStatistics(ResNet model, Tensor images)
    {
        var norms = model.modules().OfType<BatchNorm2d>().ToArray();
        var momenta = norms.Select(bn => bn.momentum).ToArray();
        try
        {
            foreach (var bn in norms) bn.momentum = 1.0;
            model.train();
            using var noGrad = no_grad();
            using var scope = NewDisposeScope();
            model.call(images);
        }
        finally
        {
            for (var i = 0; i < norms.Length; i++) norms[i].momentum = momenta[i];
        }
    }
}
