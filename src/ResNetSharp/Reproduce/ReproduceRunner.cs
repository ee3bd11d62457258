using System.Text.Json;
using ResNetSharp.Analysis;
using ResNetSharp.Reporting;
using ResNetSharp.Runtime;
using ResNetSharp.Training;

namespace ResNetSharp.Reproduce;

/// <summary>A planned run and what became of it: its result (null when not run or interrupted) and whether an earlier result was reused.</summary>
public sealed record RunOutcome(PlannedRun Run, TrainingResult? Result, bool Reused = false)
{
    /// <summary>The run finished its schedule.</summary>
    public bool Finished => Result is { Interrupted: false };
}

/// <summary>Everything the report is written from.</summary>
public sealed record ReproduceReport(
    ExperimentPlan Plan,
    IReadOnlyList<RunOutcome> Runs,
    IReadOnlyList<(string Net, LayerResponseStd Stds)> Responses,
    IReadOnlyList<string> Figures);

/// <summary>The report and where it was written.</summary>
public sealed record ReproduceOutcome(ReproduceReport Report, string ReportPath)
{
    /// <summary>Every planned run finished.</summary>
    public bool Complete => Report.Runs.All(r => r.Finished);
}

/// <summary>What the runner is doing, for a progress display (the library never prints).</summary>
public sealed record ReproduceProgress(PlannedRun Run, int Index, int Count, string State);

/// <summary>
/// Runs an <see cref="ExperimentPlan"/>: trains every run whose folder under <c>runs/</c> has no finished result
/// (so an interrupted reproduction resumes where it stopped), measures layer responses for the <c>responses</c>
/// experiment, draws the figures and writes <c>report.md</c>. Training itself is a delegate, so the trainer can be
/// swapped (and faked in tests).
/// </summary>
public sealed class ReproduceRunner(
    Func<TrainingConfig, string, CancellationToken, TrainingResult> train,
    Func<TrainingConfig, TrainingResult, LayerResponseStd>? measureResponses = null)
{
    /// <summary>The file in a run folder that marks it finished: the configuration and the training result.</summary>
    public const string ResultFile = "reproduce-result.json";

    static readonly JsonSerializerOptions Json = new() { WriteIndented = true };

    /// <summary>Called before and after each run.</summary>
    public Action<ReproduceProgress>? Progress { get; init; }

    /// <summary>
    /// Trains what is missing of <paramref name="plan"/> and writes the report in <paramref name="outDirectory"/>. Run folders
    /// go under <paramref name="runsDirectory"/> (default <c>outDirectory/runs</c>); experiments given the same runs folder
    /// share the runs they have in common (degradation and responses both train plain-20/56 and ResNet-20/56).
    /// </summary>
    /// <exception cref="InvalidDataException">A run folder holds a result of another configuration (a different budget or data in the same folder).</exception>
    public ReproduceOutcome Run(ExperimentPlan plan, string outDirectory, CancellationToken ct = default, string? runsDirectory = null)
    {
        runsDirectory ??= Path.Combine(outDirectory, "runs");
        if (plan.Experiment == "responses" && measureResponses is null)
            throw new ArgumentException("The responses experiment needs a way to measure layer responses of a trained run; pass measureResponses.");
        Directory.CreateDirectory(outDirectory);
        var outcomes = new List<RunOutcome>();
        var stopped = false;
        for (var i = 0; i < plan.Runs.Count; i++)
        {
            var run = plan.Runs[i];
            var folder = Path.Combine(runsDirectory, run.Folder);
            if (ReadFinished(folder, run) is { } done)
            {
                outcomes.Add(new RunOutcome(run, done, Reused: true));
                Progress?.Invoke(new ReproduceProgress(run, i, plan.Runs.Count, "reused"));
                continue;
            }
            if (stopped || ct.IsCancellationRequested)
            {
                stopped = true;
                outcomes.Add(new RunOutcome(run, null));
                continue;
            }
            Progress?.Invoke(new ReproduceProgress(run, i, plan.Runs.Count, "training"));
            Directory.CreateDirectory(folder);
            var result = train(run.Config, folder, ct);
            if (result.Interrupted || ct.IsCancellationRequested)
            {
                stopped = true;
                outcomes.Add(new RunOutcome(run, result with { Interrupted = true }));
                Progress?.Invoke(new ReproduceProgress(run, i, plan.Runs.Count, "interrupted"));
                continue;
            }
            AtomicFile.WriteAllText(Path.Combine(folder, ResultFile), JsonSerializer.Serialize(new Stored(run.Config, result), Json));
            outcomes.Add(new RunOutcome(run, result));
            Progress?.Invoke(new ReproduceProgress(run, i, plan.Runs.Count, "finished"));
        }

        var responses = new List<(string, LayerResponseStd)>();
        if (plan.Experiment == "responses")
        {
            // Fig. 7 measures one trained model per network: the first seed that finished
            foreach (var first in outcomes.Where(o => o.Finished).GroupBy(o => o.Run.Network).Select(g => g.First()))
                responses.Add((first.Run.Network, measureResponses!(first.Run.Config, first.Result!)));
        }
        var figures = DrawFigures(plan, outcomes, responses, outDirectory);
        var report = new ReproduceReport(plan, outcomes, responses, figures);
        var path = ReportWriter.Write(outDirectory, report);
        return new ReproduceOutcome(report, path);
    }

    /// <summary>The finished result in <paramref name="folder"/> if it was trained with <paramref name="run"/>'s configuration.</summary>
    static TrainingResult? ReadFinished(string folder, PlannedRun run)
    {
        var file = Path.Combine(folder, ResultFile);
        if (!File.Exists(file)) return null;
        Stored stored;
        try
        {
            stored = JsonSerializer.Deserialize<Stored>(File.ReadAllText(file), Json)
                ?? throw new InvalidDataException($"{file} is empty.");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{file} is not a result this runner wrote ({e.Message}); delete it to train the run again.", e);
        }
        if (JsonSerializer.Serialize(stored.Config, Json) != JsonSerializer.Serialize(run.Config, Json))
            throw new InvalidDataException(
                $"{folder} holds a finished run with another configuration than the plan's (a different budget, data or seed?). " +
                "Use another output folder for this plan, or delete the run folder to train it again.");
        return stored.Result;
    }

    static List<string> DrawFigures(ExperimentPlan plan, List<RunOutcome> outcomes, List<(string, LayerResponseStd)> responses, string outDirectory)
    {
        var figures = new List<string>();
        // curves of the first seed of every network that has metrics, split into plain and residual panels where both exist
        var firsts = outcomes.Where(o => o.Result is { Metrics.Count: > 0 }).GroupBy(o => o.Run.Network).Select(g => g.First()).ToList();
        if (firsts.Count > 0)
        {
            var panels = firsts.GroupBy(o => o.Run.Group == "plain" ? "plain" : "residual")
                .OrderBy(g => g.Key == "plain" ? 0 : 1)
                .Select(g => new CurvePanel(g.Key == "plain" ? "plain" : "ResNet", [.. g.Select(o => new CurveRun(o.Run.Network, o.Result!.Metrics))]))
                .ToArray();
            TrainingCurves.WriteComparison(Path.Combine(outDirectory, "curves.png"), panels);
            figures.Add("curves.png");
        }
        if (responses.Count > 0)
        {
            ResponsePlots.Write(Path.Combine(outDirectory, "responses-by-layer.png"), Path.Combine(outDirectory, "responses-sorted.png"), responses);
            figures.Add("responses-by-layer.png");
            figures.Add("responses-sorted.png");
        }
        return figures;
    }

    sealed record Stored(TrainingConfig Config, TrainingResult Result);
}
