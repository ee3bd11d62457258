using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using ResNetSharp.Data;
using ResNetSharp.Distributed;
using ResNetSharp.Evaluation;
using ResNetSharp.Models;
using ResNetSharp.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace ResNetSharp.Training;

/// <summary>Receives a run's progress; every member has an empty default, so implement only what you show.</summary>
public interface ITrainingObserver
{
    /// <summary>The run is about to train from <paramref name="progress"/>.</summary>
    void Started(TrainingConfig config, NetworkSpec spec, TrainingProgress progress, string dataDescription) { }

    /// <summary>One iteration finished (called every iteration; keep it cheap).</summary>
    void Stepped(long iteration, double loss, double learningRate) { }

    /// <summary>A metrics row was logged (every <see cref="TrainingConfig.LogEvery"/> iterations and after evaluations).</summary>
    void Logged(MetricsRow row) { }

    /// <summary>A notice for the user (fallback data, skipped steps, checkpoints).</summary>
    void Note(string message) { }
}

/// <summary>Thrown when the loss becomes NaN or infinite and the run is not set to skip such steps.</summary>
public sealed class NonFiniteLossException(string message) : Exception(message);

/// <summary>
/// Trains a network as its <see cref="TrainingConfig"/> says, in a run folder that holds the resolved
/// config (config.json), metrics (metrics.jsonl, metrics.csv), the latest and best checkpoints and a
/// training-curve plot. Readable top to bottom: build, then one loop of SGD steps with evaluations.
/// </summary>
public static class TrainingRun
{
    /// <summary>Iterations a run on the embedded CIFAR-10 sample is scaled down to (about ten passes over it).</summary>
    public const int SampleIterations = 500;

    /// <summary>
    /// Starts a new run in <paramref name="runDirectory"/> (which must not hold a run already). The folder is locked
    /// while the run trains (<see cref="RunLock"/>); a run that fails before its first checkpoint leaves no folder behind.
    /// With <paramref name="ranks"/> of several processes (mpirun) every rank calls this with the same arguments and
    /// trains its shard of each batch (data-parallel); rank 0 alone writes the run folder.
    /// </summary>
    public static TrainingResult Run(TrainingConfig config, string runDirectory, ITrainingObserver? observer = null, CancellationToken cancel = default,
        ICommunicator? ranks = null)
    {
        config.Validate();
        var comm = ranks ?? SingleProcess.Instance;
        if (comm.Rank != 0) return Train(config, runDirectory, null, observer, cancel, comm);
        var created = !Directory.Exists(runDirectory);
        using var runLock = RunLock.Acquire(runDirectory);
        var latest = Path.Combine(runDirectory, RunFolder.LatestFile);
        if (File.Exists(latest))
            throw new ArgumentException($"'{runDirectory}' already holds a run. Continue it with --resume {runDirectory}, or choose another --out folder.");
        try
        {
            return Train(config, runDirectory, null, observer, cancel, comm);
        }
        catch when (!File.Exists(latest))
        {
            // nothing to resume: do not leave a folder holding only config.json
            foreach (var file in new[] { RunFolder.ConfigFile, RunFolder.MetricsJsonFile, RunFolder.MetricsCsvFile, RunFolder.SkippedFile })
                File.Delete(Path.Combine(runDirectory, file));
            AtomicFile.RemoveStale(runDirectory);
            RunLock.Forget(runDirectory);
            if (created && !Directory.EnumerateFileSystemEntries(runDirectory).Any()) Directory.Delete(runDirectory);
            throw;
        }
    }

    /// <summary>
    /// Continues the run in <paramref name="runDirectory"/> from its latest checkpoint, bit-identically on CPU in the same
    /// precision; <paramref name="precision"/> switches it (checkpoints are fp32 whatever the run computed in). With
    /// <paramref name="ranks"/>, rank 0 reads the checkpoint and sends it to the others; a checkpoint of any number
    /// of ranks resumes on any number that divides its batch.
    /// </summary>
    public static TrainingResult Resume(string runDirectory, ITrainingObserver? observer = null, CancellationToken cancel = default, Precision? precision = null,
        ICommunicator? ranks = null)
    {
        var comm = ranks ?? SingleProcess.Instance;
        if (comm.Rank != 0)
        {
            var temporary = Path.Combine(Path.GetTempPath(), $"resnetsharp-resume-{Environment.ProcessId}.ckpt");
            File.WriteAllBytes(temporary, comm.BroadcastBytes(null));
            try
            {
                var received = Checkpoint.Load(temporary);
                var receivedConfig = precision is { } rp ? received.Config with { Precision = rp } : received.Config;
                return Train(receivedConfig, runDirectory, received, observer, cancel, comm);
            }
            finally
            {
                File.Delete(temporary);
            }
        }
        var latest = Path.Combine(runDirectory, RunFolder.LatestFile);
        if (!File.Exists(latest)) throw new FileNotFoundException($"'{runDirectory}' has no {RunFolder.LatestFile} to resume from. Start it with 'resnet train --out {runDirectory}'.", latest);
        using var runLock = RunLock.Acquire(runDirectory);
        if (comm.Size > 1) comm.BroadcastBytes(File.ReadAllBytes(latest));
        var checkpoint = Checkpoint.Load(latest);
        var config = precision is { } p ? checkpoint.Config with { Precision = p } : checkpoint.Config;
        return Train(config, runDirectory, checkpoint, observer, cancel, comm);
    }

    static TrainingResult Train(TrainingConfig config, string runDirectory, Checkpoint? resume, ITrainingObserver? observer, CancellationToken cancel, ICommunicator comm)
    {
        observer ??= new NullObserver();
        var root = comm.Rank == 0; // rank 0 alone writes the run folder
        // the folder is locked, so any temporary file in it is left over from a killed write
        if (root && AtomicFile.RemoveStale(runDirectory) is { Count: > 0 } stale)
            observer.Note($"removed {stale.Count} temporary file(s) left by an interrupted write: {string.Join(", ", stale)}");
        TorchRuntime.EnsureLoaded();
        var device = Devices.Parse(config.Device);
        manual_seed(config.Seed);

        var data = TrainingData.Open(config, resume?.Normalization, observer.Note);
        cancel.ThrowIfCancellationRequested();
        if (data.IsEmbeddedSample && resume is null && config.Iterations > SampleIterations)
        {
            // The sample stands in for CIFAR-10 on an offline machine: a few minutes, not the paper's schedule.
            config = config.Scaled(SampleIterations / (double)config.Iterations);
            observer.Note($"on the embedded sample the schedule is scaled down to {config.Iterations} iterations (milestones {string.Join(", ", config.Milestones)})");
        }
        if (comm.Size > 1)
        {
            if (config.BatchSize % comm.Size != 0)
                throw new ArgumentException($"The batch of {config.BatchSize} (the global batch, split over the ranks) does not divide among {comm.Size} ranks; use a multiple of {comm.Size}.");
            RunFingerprint.Verify(comm, RunFingerprint.Of(config, data)); // before any other collective: all ranks must build the same thing
        }
        var spec = resume?.Spec ?? ModelZoo.Get(config.Model) with { Classes = config.Classes ?? data.ClassNames.Count, ZeroInitLast = config.ZeroInitLast };
        if (spec.Classes < data.ClassNames.Count)
            throw new ArgumentException($"{spec.Name} has {spec.Classes} outputs but the data has {data.ClassNames.Count} classes.");
        using var model = resume?.CreateModel(device) ?? new ResNet(spec);
        if (resume is null && config.From is { } from) observer.Note(FineTuning.LoadInto(model, from));
        model.to(device);
        FineTuning.FreezeStages(model, config.FreezeStages);
        void TrainMode()
        {
            model.train();
            if (config.FreezeNorm) FineTuning.FreezeNormStatistics(model);
        }

        var channelsLast = false;
        if (config.ChannelsLast)
        {
            var (switched, error) = ChannelsLast.TryApply(model, data.TrainTransform.Height, device);
            channelsLast = switched;
            if (!switched)
                observer.Note(double.IsNaN(error)
                    ? $"{ChannelsLast.CrashNote(model, data.TrainTransform.Height, device)}; training in the plain layout"
                    : $"channels-last disagrees with the plain layout for {spec.Name} (relative error {error:G3}); training in the plain layout");
        }
        var precision = PrecisionPolicy.For(config.Precision, spec, training: true, config.BatchSize, data.TrainTransform.Height, channelsLast, device);
        model.Precision = precision.Precision;
        if (config.Precision != Precision.Fp32) observer.Note($"precision: {precision}");
        var format = channelsLast ? MemoryFormat.ChannelsLast : MemoryFormat.Contiguous;
        using var parallel = comm.Size > 1 ? new DataParallel(model, comm) : null;
        parallel?.BroadcastState(model);
        using var syncNorm = comm.Size > 1 && config.SyncBatchNorm ? SyncBatchNorm.Attach(model, comm) : null;
        var train = new DataLoader(data.Train, data.TrainTransform, new DataLoaderOptions
        {
            Ranks = comm.Size,
            Rank = comm.Rank,
            BatchSize = config.BatchSize,
            Shuffle = true,
            DropLast = true,
            Seed = config.Seed,
            Workers = config.Workers,
            Normalization = data.Normalization,
            MemoryFormat = format,
        });
        // each rank evaluates every Size-th test image; the error counts are summed
        var testShard = comm.Size == 1 ? data.Test : new Subset(data.Test, [.. Enumerable.Range(0, data.Test.Count).Where(i => i % comm.Size == comm.Rank)]);
        var test = new DataLoader(testShard, data.TestTransform, new DataLoaderOptions
        {
            BatchSize = Math.Max(config.BatchSize, 256),
            Shuffle = false,
            Workers = config.Workers,
            Normalization = data.Normalization,
            MemoryFormat = format,
        });

        cancel.ThrowIfCancellationRequested();
        data = data.WithDecodedCounts(); // the header counts the images trained on, not the files listed
        if (root && data.SkippedTrainImages() is { Count: > 0 } skippedImages)
        {
            var list = Path.Combine(runDirectory, RunFolder.SkippedFile);
            AtomicFile.WriteAllText(list, string.Concat(skippedImages.Select(f => $"{f.Path}\t{f.Reason.ReplaceLineEndings(" ")}\n")));
            observer.Note($"{skippedImages.Count} training image(s) could not be read and were skipped; they are listed in {list}");
        }
        if (data.ClassNames.Count < 2)
            observer.Note($"the data has one class ({data.ClassNames[0]}): every prediction is right, so the errors will read 0%. Add a folder per class to learn something.");

        if (resume is null)
        {
            config = config.InIterations(train.BatchesPerEpoch);
            if (root) WriteConfig(runDirectory, config); // once, as it trains: after the sample's scaling and the epochs
        }

        using var sgd = new Sgd(model.named_parameters(), config.LearningRate, config.Momentum, config.WeightDecay, config.Nesterov, config.DecayNormAndBias);
        var schedule = new LearningRateSchedule(config, spec.Depth);
        var progress = new TrainingProgress { BatchesPerEpoch = train.BatchesPerEpoch };
        if (resume is not null)
        {
            if (resume.Progress.BatchesPerEpoch != train.BatchesPerEpoch)
                throw new InvalidDataException($"The checkpoint was taken with {resume.Progress.BatchesPerEpoch} batches per epoch, the data now gives {train.BatchesPerEpoch}; resume needs the same data.");
            sgd.LoadState(resume.Momentum);
            if (resume.RngState is { } rng) random.set_rng_state(rng);
            schedule.State = resume.Progress.Schedule;
            progress = resume.Progress;
            resume.Dispose();
        }

        var latest = Path.Combine(runDirectory, RunFolder.LatestFile);
        var best = Path.Combine(runDirectory, RunFolder.BestFile);
        if (root && resume is not null && !File.Exists(best) && progress.BestError is { } bestError && progress.LastError == bestError)
        {
            AtomicFile.Copy(latest, best); // a crash during the best copy lost it; the latest is that best
            observer.Note($"restored {RunFolder.BestFile} from {RunFolder.LatestFile} (its copy was interrupted)");
        }
        var log = root ? new MetricsLog(runDirectory, progress.Iteration) : null; // rows logged after the checkpoint (a crash) are dropped
        var rows = new List<MetricsRow>(log?.Existing ?? []);
        var plots = new TrainingPlots(runDirectory, spec.Name, observer.Note);
        observer.Started(config, spec, progress, data.Description);

        var clock = Stopwatch.StartNew();
        var baseSeconds = progress.Seconds;
        var window = progress.Window ?? new MetricsWindow(0, 0, 0, 0, double.NaN);
        double lossSum = window.LossSum, errorSum = window.ErrorSum;
        long seen = window.Seen, intervalStart = Stopwatch.GetTimestamp();
        int skipped = 0, steps = window.Steps;
        double lastTrainError = window.LastTrainError;
        long? savedAt = resume is null ? null : progress.Iteration;
        TrainMode();

        void Save(string path)
        {
            progress = progress with { Window = new MetricsWindow(lossSum, errorSum, steps, seen, lastTrainError) };
            if (root) Checkpoint.Save(path, model, sgd, config, data.ClassNames, data.Normalization, progress);
            savedAt = progress.Iteration;
        }

        string LastGood() => savedAt is { } at && File.Exists(latest)
            ? $"The last good checkpoint (iteration {at}) is kept at {latest}."
            : "No checkpoint was written (it diverged before the first evaluation).";

        MetricsRow Row(double? testError)
        {
            var elapsed = Stopwatch.GetElapsedTime(intervalStart).TotalSeconds;
            var row = new MetricsRow(progress.Iteration, progress.Iteration / (double)train.BatchesPerEpoch, schedule.At(Math.Max(0, progress.Iteration - 1)),
                steps == 0 ? double.NaN : lossSum / steps, steps == 0 ? lastTrainError : errorSum / steps, testError,
                elapsed > 0 ? seen / elapsed : 0, baseSeconds + clock.Elapsed.TotalSeconds);
            if (steps > 0) lastTrainError = errorSum / steps;
            (lossSum, errorSum, seen, steps, intervalStart) = (0, 0, 0, 0, Stopwatch.GetTimestamp());
            return row;
        }

        bool Evaluate()
        {
            parallel?.BroadcastBuffers(); // rank 0's BN statistics: the ones its checkpoint holds
            // A step can overflow weights or BN statistics while its loss was still finite: never checkpoint those.
            using (no_grad())
            {
                if (model.state_dict().Values.Any(t => t.is_floating_point() && !t.isfinite().all().item<bool>()))
                    throw new NonFiniteLossException(
                        $"The weights or BN statistics became NaN or infinite by iteration {progress.Iteration} (learning rate {schedule.At(progress.Iteration - 1):G4}). " +
                        $"{LastGood()} Lower the learning rate or add warm-up (--warmup).");
            }
            EvaluationResult result;
            try
            {
                // ranks never stop mid-evaluation alone: a signal is acted on, by all, after it
                result = Evaluator.Evaluate(model, test, cancel: comm.Size == 1 ? cancel : default);
            }
            catch (OperationCanceledException)
            {
                TrainMode();
                return false; // interrupted: the caller writes the checkpoint; a resume evaluates first
            }
            catch (NonFiniteOutputException)
            {
                // a checkpoint is good only if the network's outputs are finite: never save this one
                throw new NonFiniteLossException(
                    $"The network's outputs became NaN or infinite by iteration {progress.Iteration} (learning rate {schedule.At(progress.Iteration - 1):G4}) although the loss was finite. " +
                    $"{LastGood()} Lower the learning rate or add warm-up (--warmup).");
            }
            TrainMode();
            var top1 = result.Top1Error;
            if (comm.Size > 1)
            {
                Span<double> counts = [Math.Round(result.Top1Error * result.Samples), result.Samples];
                comm.AllReduceSum(counts);
                top1 = counts[0] / counts[1];
            }
            var improved = progress.BestError is not { } b || top1 < b;
            if (schedule.ObserveValidationError(top1)) observer.Note($"validation error plateaued: learning rate divided by {1 / config.Gamma:0.#}");
            progress = progress with
            {
                LastError = top1,
                BestError = improved ? top1 : progress.BestError,
                Schedule = schedule.State,
                Seconds = baseSeconds + clock.Elapsed.TotalSeconds,
            };
            var row = Row(top1);
            rows.Add(row);
            log?.Append(row);
            observer.Logged(row);
            Save(latest);
            if (root && improved) AtomicFile.Copy(latest, best);
            if (root) plots.TryWrite(rows);
            return true;
        }

        bool IsEvaluationPoint(long iteration) =>
            iteration >= config.Iterations || (config.EvalEvery > 0 ? iteration % config.EvalEvery == 0 : iteration % train.BatchesPerEpoch == 0);

        var interrupted = false;
        var stopAgreed = false;
        // a run interrupted during an evaluation evaluates first on resume, so its rows read as if it never stopped
        // rank 0 alone has the rows, so it decides for all
        if (comm.Any(root && resume is not null && progress.Iteration > 0 && IsEvaluationPoint(progress.Iteration) && rows.LastOrDefault()?.Iteration != progress.Iteration))
            interrupted = !Evaluate();

        while (progress.Iteration < config.Iterations && !interrupted)
        {
            foreach (var batch in train.Epoch(progress.Epoch, progress.BatchInEpoch))
            {
                using (batch)
                using (var scope = NewDisposeScope())
                {
                    var iteration = progress.Iteration;
                    var lr = schedule.At(iteration);
                    sgd.LearningRate = lr;
                    var images = ProgressiveResize.Apply(batch.Images.to(device), ProgressiveResize.SideAt(config.ProgressiveResize, iteration, config.Iterations),
                        format, config.ProgressiveMode, config.Seed, iteration);
                    parallel?.BroadcastBuffers();
                    double lossValue, error;
                    if (parallel is null) (lossValue, error) = Step(model, sgd, images, batch.Labels.to(device), config.LabelSmoothing);
                    else (lossValue, error, stopAgreed) = Step(model, sgd, images, batch.Labels.to(device), config.LabelSmoothing, parallel, comm, cancel.IsCancellationRequested);
                    if (!double.IsFinite(lossValue))
                    {
                        if (!config.SkipNonFinite)
                            throw new NonFiniteLossException(
                                $"The loss became {lossValue} at iteration {iteration} (learning rate {lr:G4}). {LastGood()} " +
                                "Lower the learning rate, add warm-up (--warmup), or pass --skip-non-finite to skip such steps.");
                        skipped++;
                        observer.Note($"skipped iteration {iteration}: loss {lossValue} (learning rate {lr:G4}); {skipped} skipped so far");
                    }
                    else
                    {
                        schedule.ObserveTrainingError(error);
                        lossSum += lossValue;
                        errorSum += error;
                        steps++;
                    }
                    seen += batch.Count * comm.Size;
                    progress = progress with { Iteration = iteration + 1, Schedule = schedule.State };
                    observer.Stepped(iteration, lossValue, lr);
                }

                var done = progress.Iteration >= config.Iterations;
                var completed = true;
                if (IsEvaluationPoint(progress.Iteration))
                {
                    completed = Evaluate();
                    if (comm.Size > 1) stopAgreed |= comm.Any(cancel.IsCancellationRequested);
                }
                else if (progress.Iteration % config.LogEvery == 0)
                {
                    var row = Row(null);
                    rows.Add(row);
                    log?.Append(row);
                    observer.Logged(row);
                }
                TestHooks.Reached($"iteration:{progress.Iteration}");
                if (done && completed) break;
                // several ranks stop together, at the step where one of them was asked to
                if ((comm.Size == 1 ? cancel.IsCancellationRequested : stopAgreed) || !completed)
                {
                    progress = progress with { Seconds = baseSeconds + clock.Elapsed.TotalSeconds };
                    Save(latest);
                    if (root) observer.Note($"interrupted at iteration {progress.Iteration}: checkpoint written to {latest}; continue with --resume {runDirectory}");
                    interrupted = true;
                    break;
                }
            }
        }
        if (root) plots.TryWrite(rows);
        return new TrainingResult(runDirectory, rows, progress.LastError, rows.LastOrDefault(r => !double.IsNaN(r.TrainError))?.TrainError ?? double.NaN,
            latest, File.Exists(best) ? best : null, interrupted)
        { BestTestError = progress.BestError };
    }

    static void WriteConfig(string runDirectory, TrainingConfig config) =>
        AtomicFile.WriteAllText(Path.Combine(runDirectory, RunFolder.ConfigFile), JsonSerializer.Serialize(config, ArtefactJson.Indented));

    /// <summary>
    /// One SGD step on a batch: forward, cross-entropy, backward, update. A non-finite loss makes no update
    /// (weights and momentum stay as they were) and returns that loss with a NaN error.
    /// </summary>
    internal static (double Loss, double Error) Step(ResNet model, Sgd sgd, Tensor images, Tensor labels, double labelSmoothing)
    {
        using var scope = NewDisposeScope();
        var logits = model.call(images);
        var loss = nn.functional.cross_entropy(logits, labels, label_smoothing: labelSmoothing);
        var value = loss.item<float>();
        sgd.ZeroGrad();
        if (!float.IsFinite(value)) return (value, double.NaN);
        loss.backward();
        sgd.Step();
        return (value, logits.argmax(1).ne(labels).sum().item<long>() / (double)labels.shape[0]);
    }

    /// <summary>
    /// One data-parallel SGD step: forward on this rank's shard, then the ranks agree on the loss (all finite, or all
    /// skip), the error and whether to stop; backward, gradients averaged over the ranks, update. Returns the mean loss
    /// and the error of the global batch.
    /// </summary>
    internal static (double Loss, double Error, bool Stop) Step(ResNet model, Sgd sgd, Tensor images, Tensor labels, double labelSmoothing,
        DataParallel parallel, ICommunicator comm, bool stopRequested)
    {
        using var scope = NewDisposeScope();
        var logits = model.call(images);
        var loss = nn.functional.cross_entropy(logits, labels, label_smoothing: labelSmoothing);
        Span<double> shared = [loss.item<float>(), logits.argmax(1).ne(labels).sum().item<long>(), labels.shape[0], stopRequested ? 1 : 0];
        comm.AllReduceSum(shared);
        var (value, stop) = (shared[0] / comm.Size, shared[3] > 0);
        sgd.ZeroGrad();
        if (!double.IsFinite(value)) return (value, double.NaN, stop); // one rank's NaN makes the sum NaN: every rank skips
        loss.backward();
        parallel.AverageGradients();
        sgd.Step();
        return (value, shared[1] / shared[2], stop);
    }

    sealed class NullObserver : ITrainingObserver;
}

/// <summary>
/// Appends metrics rows to metrics.jsonl and metrics.csv in a run folder, and reads back what is there. On
/// resume, rows past the checkpoint (logged before a crash, to be logged again) and a torn last line are dropped
/// and both files rewritten atomically, so they read as if the run had never stopped.
/// </summary>
sealed class MetricsLog
{
    const string CsvHeader = "iteration,epoch,lr,train_loss,train_error,test_error,img_per_s,seconds";
    readonly string jsonl, csv;

    public MetricsLog(string runDirectory, long throughIteration)
    {
        jsonl = Path.Combine(runDirectory, RunFolder.MetricsJsonFile);
        csv = Path.Combine(runDirectory, RunFolder.MetricsCsvFile);
        var rows = new List<MetricsRow>();
        var dropped = false;
        if (File.Exists(jsonl))
        {
            foreach (var line in File.ReadLines(jsonl).Where(l => l.Length > 0))
            {
                MetricsRow? row = null;
                try
                {
                    row = JsonSerializer.Deserialize<MetricsRow>(line, Checkpoint.Json);
                }
                catch (JsonException)
                {
                }
                if (row is null || row.Iteration > throughIteration) dropped = true;
                else rows.Add(row);
            }
        }
        Existing = rows;
        if (dropped || !File.Exists(csv))
        {
            AtomicFile.WriteAllText(jsonl, string.Concat(rows.Select(r => JsonSerializer.Serialize(r, Checkpoint.Json) + "\n")));
            AtomicFile.WriteAllText(csv, CsvHeader + "\n" + string.Concat(rows.Select(CsvLine)));
        }
    }

    /// <summary>Rows already logged up to the checkpoint (a resumed run continues them).</summary>
    public IReadOnlyList<MetricsRow> Existing { get; }

    public void Append(MetricsRow row)
    {
        AtomicFile.Append(jsonl, JsonSerializer.Serialize(row, Checkpoint.Json) + "\n");
        AtomicFile.Append(csv, CsvLine(row));
    }

    static string CsvLine(MetricsRow row)
    {
        var c = CultureInfo.InvariantCulture;
        return string.Join(",",
            row.Iteration.ToString(c), row.Epoch.ToString("0.###", c), row.LearningRate.ToString("G6", c), row.TrainLoss.ToString("0.#####", c),
            row.TrainError.ToString("0.#####", c), row.TestError?.ToString("0.#####", c) ?? "", row.ImagesPerSecond.ToString("0.#", c),
            row.Seconds.ToString("0.##", c)) + "\n";
    }
}
