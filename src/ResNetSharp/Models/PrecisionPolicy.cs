using System.Diagnostics;
using System.Text.Json;
using ResNetSharp.Models;
using ResNetSharp.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace ResNetSharp.Models;

/// <summary>
/// What a short start-up measurement found: images per second in fp32 and bf16 on the same network, batch and layout
/// (for inference the fp32 figure is ONNX Runtime's on the exported graph, the engine fp32 inference runs on);
/// how far bf16's logits (and, for training, all weight gradients) are from fp32's, as ‖bf16 − fp32‖ / ‖fp32‖; and, as
/// the yardstick, how far fp32's own move when the input is perturbed by bf16's rounding (relative noise 2^-8).
/// </summary>
public sealed record PrecisionProbe(double Fp32PerSecond, double Bf16PerSecond, double RelativeError, double Fp32Sensitivity = 0)
{
    /// <summary>
    /// bf16 passes when it differs from fp32 by at most <see cref="PrecisionPolicy.Tolerance"/>, or by at most
    /// <see cref="PrecisionPolicy.SensitivityFactor"/> times what bf16-sized input noise does to fp32 itself: gradients of
    /// a freshly initialised deep network are that sensitive (a 0.4% input change moves ResNet-18's by about 30%).
    /// </summary>
    public bool Correct => RelativeError <= Math.Max(PrecisionPolicy.Tolerance, PrecisionPolicy.SensitivityFactor * Fp32Sensitivity);

    /// <summary>bf16 throughput over fp32 throughput.</summary>
    public double Speedup => Bf16PerSecond / Fp32PerSecond;
}

/// <summary>The precision a run uses and why (for the user to read).</summary>
public sealed record PrecisionChoice(Precision Precision, string Reason)
{
    /// <inheritdoc />
    public override string ToString() => $"{PrecisionPolicy.Name(Precision)} ({Reason})";
}

/// <summary>
/// Chooses fp32 or bf16. <see cref="Precision.Auto"/> takes bf16 only when the CPU has native bf16 instructions, a short
/// probe measures bf16 at least <see cref="MinSpeedup"/> times faster than fp32 on this network, batch and layout, and
/// bf16's outputs stay within <see cref="Tolerance"/> of fp32's: some CPUs report bf16 and still run it slower
/// (an AVX-512-BF16 Xeon without AMX did). Probes are cached per CPU model in the user cache folder.
/// </summary>
public static class PrecisionPolicy
{
    /// <summary>
    /// Relative L2 error of bf16 against fp32 that always passes the correctness check. bf16 keeps 8 significant bits
    /// (relative rounding 2^-9 per value); through a few dozen layers logits move by about 1%.
    /// </summary>
    public const double Tolerance = 0.05;

    /// <summary>How many times fp32's own sensitivity to bf16-sized input noise bf16 may differ by (see <see cref="PrecisionProbe.Correct"/>).</summary>
    public const double SensitivityFactor = 3;

    /// <summary>bf16 must be this much faster in the probe to be chosen (timing noise must not flip a tie to bf16).</summary>
    public const double MinSpeedup = 1.05;

    /// <summary>The file probes are cached in.</summary>
    public static string CacheFile => Path.Combine(CachePaths.Root, "precision-probes.json");

    /// <summary>"fp32", "bf16" or "auto", as the command line spells them.</summary>
    public static string Name(Precision precision) => precision.ToString().ToLowerInvariant();

    /// <summary>Reads "fp32", "bf16" or "auto" (any case).</summary>
    public static Precision Parse(string text) =>
        Enum.TryParse<Precision>(text, ignoreCase: true, out var p) && Enum.IsDefined(p)
            ? p
            : throw new ArgumentException($"Unknown precision '{text}'. Use fp32, bf16 or auto.");

    /// <summary>
    /// The decision rule on its own: fp32 and bf16 are taken as asked (bf16 without native support is emulated: slow,
    /// same results); auto runs <paramref name="probe"/> only on a CPU with native bf16.
    /// </summary>
    public static PrecisionChoice Resolve(Precision requested, CpuFeatures cpu, Func<PrecisionProbe> probe)
    {
        ArgumentNullException.ThrowIfNull(cpu);
        ArgumentNullException.ThrowIfNull(probe);
        switch (requested)
        {
            case Precision.Fp32:
                return new(Precision.Fp32, "as requested");
            case Precision.Bf16:
                return new(Precision.Bf16, cpu.NativeBf16
                    ? "as requested; fp32 master weights, BN statistics and loss"
                    : "as requested, but this CPU has no native bf16: libtorch emulates it, slower than fp32 with the same results");
        }
        if (!cpu.NativeBf16) return new(Precision.Fp32, $"auto: {cpu.Model} has no native bf16 (avx512_bf16 or amx_bf16)");
        var result = probe();
        if (!result.Correct)
            return new(Precision.Fp32, $"auto: bf16 failed the correctness check (relative error {result.RelativeError:G3}, " +
                                       $"above {Tolerance} and {SensitivityFactor}x fp32's own {result.Fp32Sensitivity:G3} under bf16-sized input noise)");
        if (!(result.Speedup >= MinSpeedup))
            return new(Precision.Fp32, $"auto: the probe measured bf16 at {result.Bf16PerSecond:0.#} img/s vs fp32 {result.Fp32PerSecond:0.#} ({result.Speedup:0.00}x, below {MinSpeedup}x)");
        return new(Precision.Bf16, $"auto: native bf16, probe {result.Bf16PerSecond:0.#} vs fp32 {result.Fp32PerSecond:0.#} img/s ({result.Speedup:0.00}x), relative error {result.RelativeError:G2}");
    }

    /// <summary>
    /// Resolves <paramref name="requested"/> for training (<paramref name="training"/> true) or inference of
    /// <paramref name="spec"/> at this batch, side and layout on <paramref name="device"/>. Auto decides on CPUs only.
    /// </summary>
    public static PrecisionChoice For(Precision requested, NetworkSpec spec, bool training, int batch, int size, bool channelsLast, Device device,
        string? cacheFile = null, Func<ResNet, IInferenceEngine>? fp32Engine = null)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(device);
        if (requested == Precision.Auto && device.type != DeviceType.CPU) return new(Precision.Fp32, "auto: measured on CPUs only");
        var cpu = CpuFeatures.Current;
        batch = Math.Clamp(batch, 1, size > 64 ? 8 : 64);
        var key = $"{cpu.Model} | libtorch {torch.__version__} | {(training ? "training" : "inference")} {spec.Name} b{batch} {size}px {(channelsLast ? "channels-last" : "plain")}";
        return Resolve(requested, cpu, () => Cached(cacheFile ?? CacheFile, key, () => Measure(spec, training, batch, size, channelsLast, fp32Engine)));
    }

    static PrecisionProbe Cached(string file, string key, Func<PrecisionProbe> measure)
    {
        Dictionary<string, PrecisionProbe> cache = [];
        try
        {
            if (File.Exists(file)) cache = JsonSerializer.Deserialize<Dictionary<string, PrecisionProbe>>(File.ReadAllText(file), ArtefactJson.Options) ?? [];
        }
        catch (JsonException)
        {
            // a damaged cache is measured again and rewritten
        }
        if (cache.TryGetValue(key, out var known)) return known;
        var result = measure();
        cache[key] = result;
        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(file))!);
            AtomicFile.WriteAllText(file, JsonSerializer.Serialize(cache, ArtefactJson.Indented));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // an unwritable cache only means the next start measures again
        }
        return result;
    }

    /// <summary>
    /// Measures fp32 and bf16 on a freshly initialised <paramref name="spec"/> (seeded, random inputs): training steps
    /// (forward, fp32 loss, backward) or eval-mode forwards (fp32 by ONNX Runtime, as inference runs it), best of two after a warm-up, alternating the two precisions so
    /// that load from other processes hits both alike. The error compares logits and, for training, all weight gradients.
    /// </summary>
    public static PrecisionProbe Measure(NetworkSpec spec, bool training, int batch, int size, bool channelsLast, Func<ResNet, IInferenceEngine>? fp32Engine = null)
    {
        ArgumentNullException.ThrowIfNull(spec);
        using var scope = NewDisposeScope();
        var rng = random.get_rng_state(); // the network's initialisation must not move the run's random stream
        try
        {
            return MeasureFresh(spec, training, batch, size, channelsLast, fp32Engine);
        }
        finally
        {
            random.set_rng_state(rng);
        }
    }

    static PrecisionProbe MeasureFresh(NetworkSpec spec, bool training, int batch, int size, bool channelsLast, Func<ResNet, IInferenceEngine>? fp32Engine)
    {
        var generator = new Generator(20260512);
        using var model = new ResNet(spec);
        if (channelsLast) ChannelsLast.Apply(model);
        model.train(training);
        var x = randn(batch, 3, size, size, generator: generator);
        if (channelsLast) x = ChannelsLast.Of(x);
        var labels = randint(0, spec.Classes, batch, generator: generator);
        var parameters = model.parameters().Where(p => p.requires_grad).ToArray();
        var state = model.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.clone());

        (Tensor Logits, Tensor Gradient) Run(Precision precision)
        {
            model.Precision = precision;
            if (!training)
            {
                using var noGrad = no_grad();
                return (model.call(x), empty(0));
            }
            model.zero_grad();
            var logits = model.call(x);
            nn.functional.cross_entropy(logits, labels).backward();
            return (logits.detach(), cat(parameters.Select(p => p.grad!.flatten()).ToArray()));
        }

        void Restore()
        {
            using var noGrad = no_grad();
            foreach (var (key, value) in model.state_dict()) value.copy_(state[key]); // BN statistics moved by training-mode forwards
        }

        var (fp32Logits, fp32Grad) = Run(Precision.Fp32);
        Restore();
        var (bf16Logits, bf16Grad) = Run(Precision.Bf16);
        Restore();
        var clean = x;
        x = clean * (1 + Math.Pow(2, -8) * randn(clean.shape, generator: generator));
        var (noisyLogits, noisyGrad) = Run(Precision.Fp32);
        Restore();
        x = clean;
        static double Error(Tensor reference, Tensor value) =>
            reference.numel() == 0 ? 0 : ((value - reference).norm() / reference.norm().clamp_min(1e-12)).item<float>();
        var error = Math.Max(Error(fp32Logits, bf16Logits), Error(fp32Grad, bf16Grad));
        var sensitivity = Math.Max(Error(fp32Logits, noisyLogits), Error(fp32Grad, noisyGrad));

        using var onnx = training || fp32Engine is null ? null : fp32Engine(model); // fp32 inference as it will run (ONNX Runtime), else libtorch
        onnx?.Logits(x); // warm-up
        double[] best = [0, 0];
        for (var round = 0; round < 2; round++)
        {
            for (var i = 0; i < 2; i++)
            {
                using var step = NewDisposeScope();
                var clock = Stopwatch.StartNew();
                if (i == 0 && onnx is not null) onnx.Logits(x);
                else Run(i == 0 ? Precision.Fp32 : Precision.Bf16);
                best[i] = Math.Max(best[i], batch / clock.Elapsed.TotalSeconds);
            }
        }
        model.zero_grad();
        return new PrecisionProbe(best[0], best[1], error, sensitivity);
    }
}
