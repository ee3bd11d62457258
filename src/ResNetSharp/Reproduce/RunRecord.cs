using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using ResNetSharp.Models;
using ResNetSharp.Runtime;
using ResNetSharp.Training;

namespace ResNetSharp.Reproduce;

/// <summary>
/// A trained run's final training error measured after training, in eval mode (BN running statistics, no augmentation),
/// on a fixed set of <see cref="TrainImages"/> training images (the CLI takes them evenly spaced over the training set); <see cref="TestImages"/> is the size of the test set the
/// run's final test error was measured on, <see cref="Classes"/> the data's (chance is 1 − 1/classes).
/// <see cref="Seconds"/> is the wall time of this measurement.
/// </summary>
public sealed record RunMeasurement(double TrainError, int TrainImages, int TestImages, int Classes, double Seconds);

/// <summary>The learning rate a run used from <see cref="Iteration"/> on.</summary>
public sealed record RateChange(long Iteration, double LearningRate);

/// <summary>
/// What a run actually did, kept next to its result: every learning-rate change it took, the notices of the trainer
/// (e.g. a channels-last layout that fell back to the plain one), its training wall time and the final measurement.
/// </summary>
public sealed record RunRecord(IReadOnlyList<RateChange> Rates, IReadOnlyList<string> Notes, double TrainingSeconds, RunMeasurement? Measurement)
{
    /// <summary>The notices that say a faster memory layout was not used.</summary>
    [JsonIgnore]
    public IReadOnlyList<string> LayoutFallbacks => [.. Notes.Where(n => n.Contains("plain layout", StringComparison.Ordinal))];

    /// <summary>
    /// The schedule as taken, e.g. "warm-up from 0.01 until it 400; 0.1; drops at 32000 (→ 0.01), 48000 (→ 0.001); final
    /// 0.001 of 64000 it": a warm-up is any start below the configured peak rate, a drop any later fall below the rate before it.
    /// </summary>
    public string Schedule(TrainingConfig config)
    {
        if (Rates.Count == 0) return "not recorded";
        var c = CultureInfo.InvariantCulture;
        var peakAt = Enumerable.Range(0, Rates.Count).FirstOrDefault(i => Rates[i].LearningRate >= config.LearningRate * 0.999, -1);
        if (peakAt < 0)
            return string.Create(c, $"warm-up from {Lr(Rates[0].LearningRate)} throughout: never reached {Lr(config.LearningRate)}, so the planned drops ") +
                   (config.Milestones.Count == 0 ? "" : $"at {string.Join(", ", config.Milestones)} ") + string.Create(c, $"were not taken; final {Lr(Rates[^1].LearningRate)} of {config.Iterations} it");
        var parts = new List<string>();
        if (peakAt > 0) parts.Add(string.Create(c, $"warm-up from {Lr(Rates[0].LearningRate)} until it {Rates[peakAt].Iteration}"));
        parts.Add(Lr(Rates[peakAt].LearningRate));
        var drops = Rates.Skip(peakAt + 1).ToArray();
        const int shown = 6;
        parts.Add(drops.Length == 0
            ? "no drop"
            : "drops at " + string.Join(", ", drops.Take(shown).Select(d => string.Create(c, $"{d.Iteration} (→ {Lr(d.LearningRate)})")))
              + (drops.Length > shown ? $" and {drops.Length - shown} more" : ""));
        parts.Add(string.Create(c, $"final {Lr(Rates[^1].LearningRate)} of {config.Iterations} it"));
        return string.Join("; ", parts);
    }

    static string Lr(double lr) => lr.ToString("G3", CultureInfo.InvariantCulture);
}

/// <summary>
/// Records a run's learning-rate changes and notices into its folder as it trains (so a resumed run keeps what the
/// interrupted part took), and passes every call on to <paramref name="inner"/>.
/// </summary>
public sealed class RunRecorder(string runDirectory, ITrainingObserver? inner = null) : ITrainingObserver
{
    /// <summary>Learning-rate changes, one JSON object a line.</summary>
    public const string RatesFile = "reproduce-rates.jsonl";

    /// <summary>Trainer notices, one a line.</summary>
    public const string NotesFile = "reproduce-notes.txt";

    double? last = Read(runDirectory).Rates is { Count: > 0 } r ? r[^1].LearningRate : null;

    /// <inheritdoc />
    public void Started(TrainingConfig config, NetworkSpec spec, TrainingProgress progress, string dataDescription) =>
        inner?.Started(config, spec, progress, dataDescription);

    /// <inheritdoc />
    public void Stepped(long iteration, double loss, double learningRate)
    {
        if (last != learningRate)
        {
            last = learningRate;
            File.AppendAllText(Path.Combine(runDirectory, RatesFile), JsonSerializer.Serialize(new RateChange(iteration, learningRate), ArtefactJson.Options) + "\n");
        }
        inner?.Stepped(iteration, loss, learningRate);
    }

    /// <inheritdoc />
    public void Logged(MetricsRow row) => inner?.Logged(row);

    /// <inheritdoc />
    public void Note(string message)
    {
        File.AppendAllText(Path.Combine(runDirectory, NotesFile), message.ReplaceLineEndings(" ") + "\n");
        inner?.Note(message);
    }

    /// <summary>What a recorder wrote in <paramref name="runDirectory"/> (empty lists when nothing).</summary>
    public static (IReadOnlyList<RateChange> Rates, IReadOnlyList<string> Notes) Read(string runDirectory)
    {
        var rates = Path.Combine(runDirectory, RatesFile);
        var notes = Path.Combine(runDirectory, NotesFile);
        return (
            File.Exists(rates) ? [.. File.ReadLines(rates).Where(l => l.Length > 0).Select(l => JsonSerializer.Deserialize<RateChange>(l, ArtefactJson.Options)!)] : [],
            File.Exists(notes) ? [.. File.ReadLines(notes).Where(l => l.Length > 0)] : []);
    }
}
