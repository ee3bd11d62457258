using System.Diagnostics;
using ResNetSharp.Data;
using ResNetSharp.Inference;
using ResNetSharp.Interop;
using ResNetSharp.Models;
using ResNetSharp.Runtime;
using ResNetSharp.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace ResNetSharp.Benchmarks;

/// <summary>Parts of <see cref="PerformanceBenchmark.Run"/>.</summary>
[Flags]
public enum BenchmarkSections
{
    /// <summary>Nothing.</summary>
    None = 0,

    /// <summary>Training img/s of ResNet-20/56 (CIFAR) and ResNet-18/50 (ImageNet): ours in fp32 and bf16 vs a plain TorchSharp loop, GFLOPS.</summary>
    Training = 1,

    /// <summary>Inference img/s of ResNet-20/18/50 at batch 1/8/32: libtorch fp32 and bf16, ours (ONNX Runtime engine) vs a plain ONNX Runtime session.</summary>
    Inference = 2,

    /// <summary>Data loader img/s vs what training consumes.</summary>
    Data = 4,

    /// <summary>Resident memory growth over training steps after warm-up.</summary>
    Memory = 8,

    /// <summary>Measured fp32 and bf16 matrix-product peak at 1024 and 2048.</summary>
    Peak = 16,

    /// <summary>Everything.</summary>
    All = Training | Inference | Data | Memory | Peak,
}

/// <summary>Runs one batch of an ONNX model in another runtime (the CLI supplies ONNX Runtime; the library does not reference it).</summary>
public interface IOnnxRunner
{
    /// <summary>Name shown next to its figures, e.g. "ONNX Runtime 1.31".</summary>
    string Name { get; }

    /// <summary>Loads <paramref name="model"/> for float inputs [batch, 3, size, size]; <paramref name="run"/> runs one batch. Dispose to free the session.</summary>
    IDisposable Prepare(byte[] model, int batch, int size, out Action run);
}

/// <summary>What the benchmark measures; the defaults take about five minutes on two cores.</summary>
public sealed record BenchmarkOptions
{
    /// <summary>Times each figure is measured; min and median are reported.</summary>
    public int Repeat { get; init; } = 3;

    /// <summary>
    /// Least time one sample of a training or inference figure runs for (whole steps or batches, at least one): short
    /// samples are mostly noise at batch 1.
    /// </summary>
    public double SampleSeconds { get; init; } = 0.5;

    /// <summary>Which parts to run.</summary>
    public BenchmarkSections Sections { get; init; } = BenchmarkSections.All;

    /// <summary>Batch size of the CIFAR networks.</summary>
    public int CifarBatch { get; init; } = 128;

    /// <summary>Batch size of the ImageNet networks (at 224x224).</summary>
    public int ImageNetBatch { get; init; } = 16;

    /// <summary>Use the channels-last fast path for our training step and inference (where verified correct).</summary>
    public bool ChannelsLast { get; init; } = true;

    /// <summary>Training steps after warm-up over which resident memory growth is measured.</summary>
    public int MemorySteps { get; init; } = 20;

    /// <summary>Only these networks in the training and inference sections (resnet20, resnet56, resnet18, resnet50); null runs them all.</summary>
    public IReadOnlyList<string>? Networks { get; init; }

    /// <summary>Another runtime to compare inference with; null skips that comparison.</summary>
    public IOnnxRunner? Onnx { get; init; }
}

/// <summary>One measured figure: every sample, their minimum and median.</summary>
public sealed record BenchmarkFigure(string Section, string Name, string Unit, IReadOnlyList<double> Samples, string Note = "")
{
    /// <summary>Smallest sample.</summary>
    public double Min => Samples.Count == 0 ? double.NaN : Samples.Min();

    /// <summary>Median sample.</summary>
    public double Median
    {
        get
        {
            if (Samples.Count == 0) return double.NaN;
            var s = Samples.Order().ToArray();
            return s.Length % 2 == 1 ? s[s.Length / 2] : (s[s.Length / 2 - 1] + s[s.Length / 2]) / 2;
        }
    }
}

/// <summary>Everything one benchmark run measured, with the machine it ran on.</summary>
public sealed record BenchmarkResult(string Cpu, int Threads, bool AllocatorTuned, IReadOnlyList<BenchmarkFigure> Figures);

/// <summary>
/// Throughput of training and inference on this machine, side by side with what a plain TorchSharp loop and
/// ONNX Runtime achieve on the same network, plus the data loader, memory growth and the matmul peak.
/// Timings live here and in <c>resnet bench</c>, never in tests.
/// </summary>
public static class PerformanceBenchmark
{
    /// <summary>Runs the selected sections; <paramref name="progress"/> receives each figure as it is measured.</summary>
    public static BenchmarkResult Run(BenchmarkOptions options, Action<BenchmarkFigure>? progress = null)
    {
        if (options.Repeat < 1) throw new ArgumentException("Repeat must be at least 1.");
        var runtime = TorchRuntime.EnsureLoaded();
        var figures = new List<BenchmarkFigure>();
        void Add(BenchmarkFigure f)
        {
            figures.Add(f);
            progress?.Invoke(f);
        }
        double? peak = null;
        var native = CpuFeatures.Current.NativeBf16;
        var bf16Note = native ? "native bf16" : NotNative;
        if (options.Sections.HasFlag(BenchmarkSections.Peak))
        {
            var fp32 = Repeat(options, () => MatmulGflops(1024, ScalarType.Float32, options.SampleSeconds));
            Add(new("peak", "matmul 1024 fp32", "GFLOPS", fp32));
            Add(new("peak", "matmul 2048 fp32", "GFLOPS", Repeat(options, () => MatmulGflops(2048, ScalarType.Float32, options.SampleSeconds))));
            // bf16 needs large products to show: 256 was too small to tell on an AVX-512-BF16 Xeon
            Add(new("peak", "matmul 1024 bf16", "GFLOPS", Repeat(options, () => MatmulGflops(1024, ScalarType.BFloat16, options.SampleSeconds)), bf16Note));
            Add(new("peak", "matmul 2048 bf16", "GFLOPS", Repeat(options, () => MatmulGflops(2048, ScalarType.BFloat16, options.SampleSeconds)), bf16Note));
            // the networks' own kind of product: oneDNN's convolutions can beat libtorch's fp32 matmul by 2x, so they are
            // the ceiling a bf16 / fp32 ratio of a whole network can be compared with
            var convFp32 = Repeat(options, () => ConvGflops(ScalarType.Float32, options.SampleSeconds));
            var convBf16 = Repeat(options, () => ConvGflops(ScalarType.BFloat16, options.SampleSeconds));
            Add(new("peak", $"{ConvShape} fp32", "GFLOPS", convFp32, "channels-last, forward"));
            Add(new("peak", $"{ConvShape} bf16", "GFLOPS", convBf16, native ? "channels-last, forward, native bf16" : NotNative));
            Add(Ratio("peak", $"{ConvShape} bf16 / fp32", convBf16, convFp32));
            peak = Math.Max(Median(fp32), Median(convFp32));
        }
        double? resnet20Rate = null, resnet18Rate = null;
        if (options.Sections.HasFlag(BenchmarkSections.Training))
        {
            foreach (var (name, batch, size, steps) in new[]
                     {
                         ("resnet20", options.CifarBatch, 32, 3), ("resnet56", options.CifarBatch, 32, 2),
                         ("resnet18", options.ImageNetBatch, 224, 2), ("resnet50", options.ImageNetBatch, 224, 1),
                     }.Where(n => options.Networks?.Contains(n.Item1) ?? true))
            {
                var spec = ModelZoo.Get(name);
                using var oursLoop = new StepLoop(spec, batch, size, plain: false, options.ChannelsLast);
                using var bf16Loop = new StepLoop(spec, batch, size, plain: false, options.ChannelsLast, Precision.Bf16);
                using var plainLoop = new StepLoop(spec, batch, size, plain: true, channelsLast: false);
                // one sample of each in turn, so that load from elsewhere falls on all three alike
                var rates = Race(options, 2 * options.SampleSeconds,
                    new("ours", oursLoop.Step, batch), new("bf16", bf16Loop.Step, batch, Once: !native), new("plain", plainLoop.Step, batch));
                var (ours, bf16, plain) = (rates["ours"], rates["bf16"], rates["plain"]);
                Add(new("training", $"{name} b{batch} {size}px ours fp32", "img/s", ours, oursLoop.Note));
                if (name == "resnet20") resnet20Rate = Median(ours);
                if (name == "resnet18") resnet18Rate = Median(ours);
                var flops = NetworkCost.Of(spec, size).MultiplyAdds * 2.0 * 3; // forward + two backward products per multiply-add
                Add(new("training", $"{name} achieved", "GFLOPS", ours.Select(r => r * flops / 1e9).ToArray(),
                    peak is { } p ? $"{Median(ours) * flops / 1e9 / p:P0} of the measured fp32 peak (matmul or convolution)" : ""));
                Add(new("training", $"{name} b{batch} {size}px ours bf16", "img/s", bf16, native ? bf16Loop.Note + ", fp32 master weights" : NotNative));
                Add(Ratio("training", $"{name} bf16 / fp32", bf16, ours));
                Add(new("training", $"{name} b{batch} {size}px plain TorchSharp", "img/s", plain, plainLoop.Note));
                Add(Ratio("training", $"{name} ours fp32 / plain", ours, plain));
            }
        }
        if (options.Sections.HasFlag(BenchmarkSections.Inference))
        {
            foreach (var (name, size) in new[] { ("resnet20", 32), ("resnet18", 224), ("resnet50", 224) }.Where(n => options.Networks?.Contains(n.Item1) ?? true))
            {
                foreach (var batch in new[] { 1, 8, 32 })
                {
                    var rates = InferenceRates(options, name, size, batch, out var layout);
                    var onnx = rates.GetValueOrDefault("onnx");
                    Add(new("inference", $"{name} b{batch} libtorch fp32", "img/s", rates["fp32"], layout));
                    Add(new("inference", $"{name} b{batch} libtorch bf16", "img/s", rates["bf16"], native ? layout + ", mixed precision" : NotNative));
                    Add(Ratio("inference", $"{name} b{batch} libtorch bf16 / fp32", rates["bf16"], rates["fp32"]));
                    Add(new("inference", $"{name} b{batch} ours fp32 (ONNX Runtime engine)", "img/s", rates["ours"], "what predict/eval/ImageClassifier run in fp32"));
                    if (onnx is not null)
                    {
                        Add(new("inference", $"{name} b{batch} {options.Onnx!.Name} session", "img/s", onnx, "plain session on the same exported graph"));
                        Add(Ratio("inference", $"{name} b{batch} ours fp32 / {options.Onnx.Name}", rates["ours"], onnx));
                        Add(Ratio("inference", $"{name} b{batch} ours bf16 / {options.Onnx.Name}", rates["bf16"], onnx));
                    }
                }
            }
        }
        if (options.Sections.HasFlag(BenchmarkSections.Data))
        {
            var runs = Repeat(options, () => DataBenchmark.Run(new DataBenchmarkOptions { CifarImages = 8192, CifarBatches = 40, ImageNetImages = 128 }));
            var workers = $"{runs[0].Workers} workers, alone on the machine";
            var loader = runs.Select(r => r.CifarImagesPerSecond).ToArray();
            var imagenet = runs.Select(r => r.ImageNetImagesPerSecond).ToArray();
            Add(new("data", "CIFAR loader b128 (pad, crop, flip, mean)", "img/s", loader, workers));
            Add(new("data", "ImageNet-style loader b32 (JPEG decode, scale aug, crop 224, flip, lighting)", "img/s", imagenet, workers + ", " + runs[0].ImageNetSource));
            resnet20Rate ??= TrainingRate(options, "resnet20", options.CifarBatch, 32);
            resnet18Rate ??= TrainingRate(options, "resnet18", options.ImageNetBatch, 224);
            Add(new("data", "CIFAR loader / resnet20 training", "ratio", loader.Select(l => l / resnet20Rate.Value).ToArray(), "above 1: the loader keeps up"));
            Add(new("data", "ImageNet-style loader / resnet18 training", "ratio", imagenet.Select(l => l / resnet18Rate.Value).ToArray(), "above 1: the loader keeps up"));
        }
        if (options.Sections.HasFlag(BenchmarkSections.Memory))
            Add(new("memory", $"VmRSS growth over {options.MemorySteps} resnet20 steps", "MB", Repeat(options, () => RssGrowth(options)), "after 3 warm-up steps"));
        return new BenchmarkResult(CpuFeatures.Current.ToString(), runtime.Threads, runtime.AllocatorTuned, figures);
    }

    const string NotNative = "not native here: bf16 is emulated on this CPU (slow, same results), not a figure of bf16 hardware";

    static BenchmarkFigure Ratio(string section, string name, double[] a, double[] b) =>
        new(section, name, "ratio", a.Zip(b, (x, y) => x / y).ToArray(), "per repeat");

    static double Median(IReadOnlyList<double> samples) => new BenchmarkFigure("", "", "", samples).Median;

    static T[] Repeat<T>(BenchmarkOptions options, Func<T> measure) => Enumerable.Range(0, options.Repeat).Select(_ => measure()).ToArray();

    /// <summary>One thing to time: a call that processes <paramref name="Images"/> images; <paramref name="Once"/> takes one sample only (emulated bf16 is slow).</summary>
    sealed record Contender(string Key, Action Run, int Images, bool Once = false);

    /// <summary>
    /// Images per second of each contender: two warm-up calls each (oneDNN primitive creation, allocator growth), then
    /// <see cref="BenchmarkOptions.Repeat"/> rounds in which each in turn runs whole calls for at least
    /// <paramref name="seconds"/>. Interleaving makes the per-round ratios fair when the machine's load drifts.
    /// </summary>
    static Dictionary<string, double[]> Race(BenchmarkOptions options, double seconds, params Contender[] contenders)
    {
        foreach (var c in contenders)
        {
            c.Run();
            c.Run();
        }
        var rates = contenders.ToDictionary(c => c.Key, _ => new List<double>());
        for (var round = 0; round < options.Repeat; round++)
        {
            // each round starts with the next contender, so none always follows the same one (OpenMP threads of a
            // libtorch contender still spinning, say)
            var order = contenders.Skip(round % contenders.Length).Concat(contenders.Take(round % contenders.Length));
            foreach (var c in order.Where(c => round == 0 || !c.Once))
                rates[c.Key].Add(c.Images * Calls(c.Run, seconds));
        }
        return rates.ToDictionary(kv => kv.Key, kv => kv.Value.ToArray());
    }

    static double TrainingRate(BenchmarkOptions options, string name, int batch, int size)
    {
        using var loop = new StepLoop(ModelZoo.Get(name), batch, size, false, options.ChannelsLast);
        return Median(Race(options, 2 * options.SampleSeconds, new Contender("ours", loop.Step, batch))["ours"]);
    }

    static double MatmulGflops(int n, ScalarType type, double seconds)
    {
        using var scope = NewDisposeScope();
        var a = randn(n, n).to(type);
        var b = randn(n, n).to(type);
        a.matmul(b).Dispose();
        return 2.0 * n * n * n * Calls(() => a.matmul(b).Dispose(), seconds) / 1e9;
    }

    const string ConvShape = "conv 3x3 128->128 28px b16";

    /// <summary>GFLOPS of one convolution of ResNet-18's second stage in channels-last, in fp32 or bf16.</summary>
    static double ConvGflops(ScalarType type, double seconds)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var x = Models.ChannelsLast.Of(randn(16, 128, 28, 28)).to(type);
        var w = Models.ChannelsLast.Of(randn(128, 128, 3, 3)).to(type);
        void Run() => nn.functional.conv2d(x, w, padding: [1, 1]).Dispose();
        Run();
        return 2.0 * 16 * 128 * 128 * 9 * 28 * 28 * Calls(Run, seconds) / 1e9;
    }

    /// <summary>Calls per second of <paramref name="run"/>, over whole calls lasting at least <paramref name="seconds"/>.</summary>
    static double Calls(Action run, double seconds)
    {
        var calls = 0;
        var clock = Stopwatch.StartNew();
        do
        {
            run();
            calls++;
        } while (clock.Elapsed.TotalSeconds < seconds);
        return calls / clock.Elapsed.TotalSeconds;
    }

    static double RssGrowth(BenchmarkOptions options)
    {
        using var loop = new StepLoop(ModelZoo.Get("resnet20"), options.CifarBatch, 32, false, options.ChannelsLast);
        for (var i = 0; i < 3; i++) loop.Step();
        var before = ResidentBytes();
        for (var i = 0; i < options.MemorySteps; i++) loop.Step();
        return (ResidentBytes() - before) / 1e6;
    }

    /// <summary>VmRSS of this process in bytes (Linux); NaN elsewhere.</summary>
    internal static double ResidentBytes()
    {
        const string status = "/proc/self/status";
        if (!File.Exists(status)) return double.NaN;
        var line = File.ReadLines(status).FirstOrDefault(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
        return line is null ? double.NaN : long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) * 1024.0;
    }

    /// <summary>
    /// Inference img/s of one network at one batch, measured in turn: ours in fp32 (<see cref="OnnxRuntimeNetwork"/>,
    /// libtorch tensors in and out, as predict, eval and the classifier run it), when a runner is given a plain ONNX
    /// Runtime session on the same exported graph, and libtorch fp32 and bf16 (eval mode, channels-last where verified,
    /// as predict --precision bf16 runs it).
    /// </summary>
    static Dictionary<string, double[]> InferenceRates(BenchmarkOptions options, string name, int size, int batch, out string layout)
    {
        using var scope = NewDisposeScope();
        manual_seed(1);
        using var net = ModelZoo.Create(name);
        net.eval();
        var x = randn(batch, 3, size, size);
        using var ours = new OnnxRuntimeNetwork(net);
        IDisposable? session = null;
        Action? plainRun = null;
        if (options.Onnx is { } runner)
            session = runner.Prepare(OnnxExport.ToBytes(net, new OnnxExportOptions { FoldBatchNorm = true }), batch, size, out plainRun);
        using (session)
        {
            // ours and the plain session hold their own exported weights: libtorch can now switch the network's layout
            var channelsLast = options.ChannelsLast && Models.ChannelsLast.TryApply(net, size, CPU).Switched;
            layout = channelsLast ? "channels-last" : "plain layout";
            var input = channelsLast ? Models.ChannelsLast.Of(x) : x;
            Action Libtorch(Precision precision) => () =>
            {
                using var noGrad = no_grad();
                net.Precision = precision;
                net.call(input).Dispose();
            };
            var contenders = new List<Contender>
            {
                new("ours", () => ours.Logits(x).Dispose(), batch),
                new("fp32", Libtorch(Precision.Fp32), batch),
                new("bf16", Libtorch(Precision.Bf16), batch, Once: !CpuFeatures.Current.NativeBf16),
            };
            if (plainRun is not null) contenders.Insert(1, new("onnx", plainRun, batch));
            return Race(options, options.SampleSeconds, [.. contenders]);
        }
    }

    /// <summary>Training steps on one random batch: ours (our network setup, <see cref="Sgd"/>) or a plain TorchSharp loop.</summary>
    sealed class StepLoop : IDisposable
    {
        readonly ResNet model;
        readonly Tensor images, labels;
        readonly Sgd? sgd;
        readonly optim.Optimizer? plainSgd;
        readonly bool plain;

        public string Note { get; } = "";

        public StepLoop(NetworkSpec spec, int batch, int size, bool plain, bool channelsLast, Precision precision = Precision.Fp32)
        {
            this.plain = plain;
            manual_seed(1);
            model = new ResNet(spec);
            model.train();
            images = randn(batch, 3, size, size);
            labels = randint(0, spec.Classes, batch);
            if (plain)
            {
                plainSgd = optim.SGD(model.parameters(), 0.1, momentum: 0.9, weight_decay: 1e-4);
                Note = "NCHW, torch.optim.SGD";
                return;
            }
            var switched = false;
            if (channelsLast)
            {
                var (ok, error) = Models.ChannelsLast.TryApply(model, size, CPU);
                switched = ok;
                Note = ok ? "channels-last" : $"plain layout (channels-last rejected: {(double.IsNaN(error) ? "an earlier check stopped its process" : $"error {error:G3}")})";
            }
            if (switched)
            {
                var cl = Models.ChannelsLast.Of(images);
                images.Dispose();
                images = cl;
            }
            model.Precision = precision;
            sgd = new Sgd(model.named_parameters(), 0.1, 0.9, 1e-4);
        }

        public void Step()
        {
            using var scope = NewDisposeScope();
            if (!plain)
            {
                TrainingRun.Step(model, sgd!, images, labels, 0);
                return;
            }
            plainSgd!.zero_grad();
            var loss = nn.functional.cross_entropy(model.call(images), labels);
            loss.backward();
            plainSgd.step();
        }

        public void Dispose()
        {
            sgd?.Dispose();
            plainSgd?.Dispose();
            model.Dispose();
            images.Dispose();
            labels.Dispose();
        }
    }
}
