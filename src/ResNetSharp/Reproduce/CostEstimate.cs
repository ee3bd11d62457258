using System.Diagnostics;
using System.Text.Json;
using ResNetSharp.Models;
using ResNetSharp.Runtime;
using ResNetSharp.Training;
using static TorchSharp.torch;

namespace ResNetSharp.Reproduce;

/// <summary>Measured speed of one network on this machine: seconds per image of a training step and of an evaluation forward pass.</summary>
public sealed record ProbeResult(string Network, int Side, double TrainSecondsPerImage, double EvalSecondsPerImage);

/// <summary>One run's share of an estimate: images trained, evaluated (during training) and measured after it, and the hours they take.</summary>
public sealed record RunCost(string Folder, long TrainImages, long EvalImages, long MeasureImages, double Hours);

/// <summary>
/// What a plan costs on this machine: images to process and estimated hours from <see cref="ProbeResult"/>s, with
/// evaluation's share of training. <see cref="Basis"/> says how the numbers were obtained.
/// </summary>
public sealed record CostEstimate(long TrainImages, long EvalImages, long MeasureImages, double Hours, double TrainingHours, double EvaluationHours,
    double MeasurementHours, string Basis, IReadOnlyList<RunCost> Runs)
{
    /// <summary>Evaluation during training as a fraction of training time.</summary>
    public double EvaluationShare => TrainingHours > 0 ? EvaluationHours / TrainingHours : 0;
}

/// <summary>
/// Estimates a plan's cost from a short measured probe: a few timed SGD steps and forward passes of each network on
/// random images of the plan's size (the first step of each is not timed). Probes are cached per CPU, thread count,
/// network and image side, so a plan is probed once per machine.
/// </summary>
public static class CostProbe
{

    /// <summary>
    /// Times <paramref name="steps"/> training steps and forward passes of <paramref name="network"/> on a batch of
    /// <paramref name="batch"/> random images; the fastest step counts, so steps slowed by other processes on a shared
    /// CPU do not (the estimate is then for this machine unloaded).
    /// </summary>
    public static ProbeResult Measure(string network, int side, int classes, int batch, int steps = 3)
    {
        TorchRuntime.EnsureLoaded();
        var spec = ModelZoo.Get(network) with { Classes = classes };
        using var model = new ResNet(spec);
        using var sgd = new Sgd(model.named_parameters(), 0.01, 0.9, 1e-4, false, true);
        using var images = randn(batch, 3, side, side);
        using var labels = randint(classes, [batch]);
        model.train();
        TrainingRun.Step(model, sgd, images, labels, 0);
        var train = Fastest(steps, () => TrainingRun.Step(model, sgd, images, labels, 0)) / batch;
        model.eval();
        double eval;
        using (no_grad())
        {
            void Forward()
            {
                using var scope = NewDisposeScope();
                model.call(images);
            }
            Forward();
            eval = Fastest(steps, Forward) / batch;
        }
        return new ProbeResult(network, side, train, eval);
    }

    static double Fastest(int count, Action action)
    {
        var seconds = new double[count];
        for (var i = 0; i < count; i++)
        {
            var clock = Stopwatch.StartNew();
            action();
            seconds[i] = clock.Elapsed.TotalSeconds;
        }
        return seconds.Min();
    }

    /// <summary>
    /// The probe of every network of <paramref name="plan"/>, from <paramref name="cacheFile"/> where it holds one for this
    /// CPU and thread count, else measured (and added to the file). <paramref name="probing"/> is told each network measured.
    /// </summary>
    public static IReadOnlyDictionary<string, ProbeResult> ForPlan(ExperimentPlan plan, string cacheFile, Action<string>? probing = null)
    {
        TorchRuntime.EnsureLoaded();
        var cache = File.Exists(cacheFile) ? ReadCache(cacheFile) : [];
        var side = Side(plan);
        var classes = plan.Definition.PaperClasses;
        var result = new Dictionary<string, ProbeResult>();
        var changed = false;
        foreach (var net in plan.Networks)
        {
            var key = CacheKey(Provenance.CpuModel(), get_num_threads(), net, side);
            if (!cache.TryGetValue(key, out var probe))
            {
                probing?.Invoke(net);
                probe = Measure(net, side, classes, batch: side <= 32 ? 32 : 16);
                cache[key] = probe;
                changed = true;
            }
            result[net] = probe;
        }
        if (changed)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(cacheFile))!);
            AtomicFile.WriteAllText(cacheFile, JsonSerializer.Serialize(cache, ArtefactJson.Indented));
        }
        return result;
    }

    /// <summary>The key of a probe in the cache file: the machine, thread count, network and image side.</summary>
    public static string CacheKey(string cpu, int threads, string network, int side) => $"{cpu} | {threads} threads | {network} | {side}px";

    /// <summary>The side of the training images of <paramref name="plan"/>'s runs.</summary>
    public static int Side(ExperimentPlan plan) => plan.Runs[0].Config.CropSize ?? 32;

    /// <summary>
    /// Images and hours of <paramref name="plan"/> given each network's <paramref name="probes"/>: every run's training
    /// iterations × batch, its evaluations (the trainer's rule: every EvalEvery iterations, or once per epoch, and at the end)
    /// over the test set, and the measurements after training (the training-image subset, and for Fig. 7 one pass over the
    /// test set per network).
    /// </summary>
    public static CostEstimate Estimate(ExperimentPlan plan, IReadOnlyDictionary<string, ProbeResult> probes, string basis)
    {
        var runs = new List<RunCost>();
        var measuredResponses = new HashSet<string>();
        double trainHours = 0, evalHours = 0, measureHours = 0;
        foreach (var run in plan.Runs)
        {
            var c = run.Config;
            var probe = probes[run.Network];
            long train = (long)c.Iterations * c.BatchSize;
            // EvalEvery 0 (once per epoch) is only planned for CIFAR: 390 full batches of 128 (the last partial one is dropped)
            var spacing = c.EvalEvery > 0 ? c.EvalEvery : 390;
            var evaluations = c.Iterations / spacing + (c.Iterations % spacing == 0 ? 0 : 1);
            long eval = (long)evaluations * plan.TestImages;
            long measure = Math.Min(plan.Options.TrainMeasureImages, 50_000);
            if (plan.Definition.MeasuresResponses && measuredResponses.Add(run.Network)) measure += plan.TestImages;
            var t = train * probe.TrainSecondsPerImage / 3600;
            var e = eval * probe.EvalSecondsPerImage / 3600;
            var m = measure * probe.EvalSecondsPerImage / 3600;
            trainHours += t;
            evalHours += e;
            measureHours += m;
            runs.Add(new RunCost(run.Folder, train, eval, measure, t + e + m));
        }
        return new CostEstimate(runs.Sum(r => r.TrainImages), runs.Sum(r => r.EvalImages), runs.Sum(r => r.MeasureImages),
            trainHours + evalHours + measureHours, trainHours, evalHours, measureHours, basis, runs);
    }

    static Dictionary<string, ProbeResult> ReadCache(string file)
    {
        try
        {
            return JsonSerializer.Deserialize<Dictionary<string, ProbeResult>>(File.ReadAllText(file), ArtefactJson.Indented) ?? [];
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"The probe cache {file} is not one this program wrote ({e.Message}); delete it to probe again.", e);
        }
    }
}
