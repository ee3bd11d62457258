using System.Text.Json;
using ResNetSharp.Analysis;
using ResNetSharp.Reporting;
using ResNetSharp.Runtime;
using ResNetSharp.Training;

namespace ResNetSharp.Reproduce;

/// <summary>A planned run and what became of it: its result (null when not run or interrupted) and whether an earlier result was reused.</summary>
public sealed record RunOutcome(PlannedRun Run, TrainingResult? Result, bool Reused = false, RunRecord? Record = null)
{
    /// <summary>The run finished its schedule.</summary>
    public bool Finished => Result is { Interrupted: false };
}

/// <summary>Everything the report is written from.</summary>
public sealed record ReproduceReport(
    ExperimentPlan Plan,
    IReadOnlyList<RunOutcome> Runs,
    IReadOnlyList<(string Net, LayerResponseStd Stds)> Responses,
    IReadOnlyList<string> Figures,
    Provenance? Provenance = null);

/// <summary>The report and where it was written.</summary>
public sealed record ReproduceOutcome(ReproduceReport Report, string ReportPath)
{
    /// <summary>Every planned run finished.</summary>
    public bool Complete => Report.Runs.All(r => r.Finished);
}

/// <summary>What the runner is doing, for a progress display (the library never prints).</summary>
public sealed record ReproduceProgress(PlannedRun Run, int Index, int Count, string State);

/// <summary>Trains <paramref name="config"/> in <paramref name="runDirectory"/> (or resumes it there), telling <paramref name="observer"/> as it goes.</summary>
public delegate TrainingResult TrainRun(TrainingConfig config, string runDirectory, ITrainingObserver observer, CancellationToken ct);

/// <summary>Measures a trained run's final numbers (<see cref="RunMeasurement"/>).</summary>
public delegate RunMeasurement MeasureRun(TrainingConfig config, TrainingResult result);

/// <summary>
/// Runs an <see cref="ExperimentPlan"/>: trains every run whose folder under <c>runs/</c> has no finished result
/// (so an interrupted reproduction resumes where it stopped), measures layer responses for the <c>responses</c>
/// experiment, draws the figures and writes <c>report.md</c>. Training itself is a delegate, so the trainer can be
/// swapped (and faked in tests). Each run's learning rates and trainer notices are recorded in its folder
/// (<see cref="RunRecorder"/>) and its final numbers measured by <see cref="MeasureFinal"/>.
/// </summary>
public sealed class ReproduceRunner(TrainRun train, Func<TrainingConfig, TrainingResult, LayerResponseStd>? measureResponses = null)
{
    /// <summary>The file in a run folder that marks it finished: the configuration and the training result.</summary>
    public const string ResultFile = "reproduce-result.json";


    /// <summary>Called before and after each run.</summary>
    public Action<ReproduceProgress>? Progress { get; init; }

    /// <summary>
    /// Measures each finished run's final training error after training (the claims rest on it); without it the report
    /// falls back to the trainer's running average over its last logged mini-batches, and says so.
    /// </summary>
    public MeasureRun? MeasureFinal { get; init; }

    /// <summary>Passed every training call's progress (inside the recorder).</summary>
    public ITrainingObserver? Observer { get; init; }

    /// <summary>The machine and code the report records; null leaves provenance out (tests).</summary>
    public Func<Provenance>? Provenance { get; init; }

    /// <summary>
    /// Trains what is missing of <paramref name="plan"/> and writes the report in <paramref name="outDirectory"/>. Run folders
    /// go under <paramref name="runsDirectory"/> (default <c>outDirectory/runs</c>); experiments given the same runs folder
    /// share the runs they have in common (degradation and responses both train plain-20/56 and ResNet-20/56).
    /// </summary>
    /// <exception cref="InvalidDataException">A run folder holds a result of another configuration (a different budget or data in the same folder).</exception>
    public ReproduceOutcome Run(ExperimentPlan plan, string outDirectory, CancellationToken ct = default, string? runsDirectory = null)
    {
        runsDirectory ??= Path.Combine(outDirectory, "runs");
        if (plan.Definition.MeasuresResponses && measureResponses is null)
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
                var record = done.Record ?? Record(folder, done.Result, null);
                if (record.Measurement is null && MeasureFinal is not null && !ct.IsCancellationRequested)
                {
                    record = Measured(run, i, plan.Runs.Count, done.Result, record);
                    Store(folder, run, done.Result, record);
                }
                outcomes.Add(new RunOutcome(run, done.Result, Reused: true, record));
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
            var result = train(run.Config, folder, new RunRecorder(folder, Observer), ct);
            if (result.Interrupted || ct.IsCancellationRequested)
            {
                stopped = true;
                outcomes.Add(new RunOutcome(run, result with { Interrupted = true }, Record: Record(folder, result, null)));
                Progress?.Invoke(new ReproduceProgress(run, i, plan.Runs.Count, "interrupted"));
                continue;
            }
            var trained = Record(folder, result, null);
            if (MeasureFinal is not null) trained = Measured(run, i, plan.Runs.Count, result, trained);
            Store(folder, run, result, trained);
            outcomes.Add(new RunOutcome(run, result, Record: trained));
            Progress?.Invoke(new ReproduceProgress(run, i, plan.Runs.Count, "finished"));
        }

        var responses = new List<(string, LayerResponseStd)>();
        if (plan.Definition.MeasuresResponses)
        {
            // Fig. 7 measures one trained model per network: the first seed that finished
            foreach (var first in outcomes.Where(o => o.Finished).GroupBy(o => o.Run.Network).Select(g => g.First()))
            {
                Progress?.Invoke(new ReproduceProgress(first.Run, outcomes.IndexOf(first), plan.Runs.Count, "measuring layer responses"));
                responses.Add((first.Run.Network, measureResponses!(first.Run.Config, first.Result!)));
            }
        }
        var figures = DrawFigures(plan, outcomes, responses, outDirectory);
        var report = new ReproduceReport(plan, outcomes, responses, figures, Provenance?.Invoke());
        var path = ReportWriter.Write(outDirectory, report);
        return new ReproduceOutcome(report, path);
    }

    RunRecord Measured(PlannedRun run, int index, int count, TrainingResult result, RunRecord record)
    {
        Progress?.Invoke(new ReproduceProgress(run, index, count, "measuring the final training error"));
        return record with { Measurement = MeasureFinal!(run.Config, result) };
    }

    // The training wall time is the trainer's own clock (it survives resumes); rates and notes are what the recorder wrote.
    static RunRecord Record(string folder, TrainingResult result, RunMeasurement? measurement)
    {
        var (rates, notes) = RunRecorder.Read(folder);
        return new RunRecord(rates, notes, result.Metrics.Count > 0 ? result.Metrics[^1].Seconds : 0, measurement);
    }

    static void Store(string folder, PlannedRun run, TrainingResult result, RunRecord record) =>
        AtomicFile.WriteAllText(Path.Combine(folder, ResultFile), JsonSerializer.Serialize(new Stored(run.Config, result, record), ArtefactJson.Indented));

    /// <summary>The finished result in <paramref name="folder"/> if it was trained with <paramref name="run"/>'s configuration.</summary>
    static Stored? ReadFinished(string folder, PlannedRun run)
    {
        var file = Path.Combine(folder, ResultFile);
        if (!File.Exists(file)) return null;
        Stored stored;
        try
        {
            stored = JsonSerializer.Deserialize<Stored>(File.ReadAllText(file), ArtefactJson.Indented)
                ?? throw new InvalidDataException($"{file} is empty.");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{file} is not a result this runner wrote ({e.Message}); delete it to train the run again.", e);
        }
        if (JsonSerializer.Serialize(stored.Config, ArtefactJson.Options) != JsonSerializer.Serialize(run.Config, ArtefactJson.Options))
            throw new InvalidDataException(
                $"{folder} holds a finished run with another configuration than the plan's (a different budget, data or seed?). " +
                "Use another output folder for this plan, or delete the run folder to train it again.");
        return stored;
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
                .Select(g => new CurvePanel(g.Key == "plain" ? "plain nets" : "residual nets", [.. g.Select(o => new CurveRun(o.Run.Network, MetricsRow.Curve(o.Result!.Metrics), o.Run.Network))]))
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

    sealed record Stored(TrainingConfig Config, TrainingResult Result, RunRecord? Record = null);
}
