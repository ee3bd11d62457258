using System.CommandLine;
using System.Globalization;
using System.Linq.Expressions;
using System.Runtime.InteropServices;
using ResNetSharp.Distributed;
using ResNetSharp.Models;
using ResNetSharp.Runtime;
using ResNetSharp.Training;
using Spectre.Console;

namespace ResNetSharp.Cli.Commands;

/// <summary>
/// <c>resnet train</c>: recipe → optional JSON file → flags (only flags that were given override), then
/// <see cref="TrainingRun"/> with a live progress bar (plain lines when output is not a terminal).
/// </summary>
static class TrainCommand
{
    public static Command Create()
    {
        // Flags that map one-to-one onto TrainingConfig fields, each with the field it sets (compile-checked).
        var fieldOptions = new List<(Option Option, Action<ParseResult, TrainingOverrides> Set)>();
        Option<T> Field<T>(string name, Expression<Func<TrainingConfig, T>> field, string description)
        {
            var option = new Option<T>(name) { Description = description };
            fieldOptions.Add((option, (parse, overrides) => overrides.Set(field, parse.GetValue(option)!)));
            return option;
        }
        Option<T> Optional<T>(string name, Expression<Func<TrainingConfig, T?>> field, string description) where T : struct
        {
            var option = new Option<T>(name) { Description = description };
            fieldOptions.Add((option, (parse, overrides) => overrides.Set(field, parse.GetValue(option))));
            return option;
        }
        Option<string> Named<T>(string name, Expression<Func<TrainingConfig, T>> field, string what, string description) where T : struct, Enum
        {
            var option = new Option<string>(name) { Description = description };
            fieldOptions.Add((option, (parse, overrides) => overrides.Set(field, NamedEnum.Parse<T>(parse.GetValue(option)!, what))));
            return option;
        }

        var recipe = new Option<string>("--recipe") { Description = $"Starting recipe: {string.Join(", ", Recipes.All.Keys)}.", DefaultValueFactory = _ => "paper-cifar" };
        var configFile = new Option<FileInfo?>("--config") { Description = "JSON file of TrainingConfig fields that override the recipe." };
        var output = new Option<string?>("--out") { Description = "Run folder (default: runs/<model>-<time>)." };
        var resume = new Option<string?>("--resume") { Description = "Continue the run in this folder from its latest checkpoint." };
        var budget = new Option<double?>("--budget") { Description = "Scale iterations, milestones and warm-up by this fraction (e.g. 0.25)." };
        var epochs = new Option<double?>("--epochs") { Description = "Train for this many epochs instead of --iterations (milestones scale along)." };
        var precision = Field("--precision", c => c.Precision,
            "fp32, bf16 (fp32 master weights, BN statistics and loss) or auto (bf16 where this CPU runs it natively, faster and correct, measured once per CPU). With --resume it switches a run's precision.");
        var milestones = new Option<string?>("--milestones") { Description = "Comma-separated iterations at which a step schedule divides the rate." };
        Option[] fields =
        [
            Field("--model", c => c.Model, "Network name (see 'resnet models')."),
            Field("--data", c => c.Data, "cifar10, cifar100, an ImageFolder root (train/ and test/ or val/), or a .tar.gz of one."),
            Field("--data-dir", c => c.DataDir, "An existing folder with the CIFAR binaries (or to download them into)."),
            Field("--iterations", c => c.Iterations, "Total mini-batches."),
            Field("--batch-size", c => c.BatchSize, "Images per mini-batch."),
            Field("--lr", c => c.LearningRate, "Peak learning rate."),
            Field("--momentum", c => c.Momentum, "SGD momentum."),
            Field("--weight-decay", c => c.WeightDecay, "L2 weight decay."),
            Field("--nesterov", c => c.Nesterov, "Nesterov momentum."),
            Field("--schedule", c => c.Schedule, "Step, Plateau, Cosine or OneCycle."),
            Field("--warmup", c => c.WarmupIterations, "Linear warm-up iterations."),
            Field("--label-smoothing", c => c.LabelSmoothing, "Label smoothing (0 = none)."),
            Field("--validation", c => c.Validation, "Hold out 5k training images and evaluate on them (paper 4.2)."),
            Named("--augmentation", c => c.Augmentation, "augmentation", "cifar, imagenet, imagenet-rrc or none."),
            Named("--normalization", c => c.Normalization, "normalization", "per-pixel-mean or per-channel."),
            Optional("--crop", c => c.CropSize, "Network input side."),
            Named("--progressive-mode", c => c.ProgressiveMode, "progressive mode", "How --progressive shrinks a batch: resize (downscale the whole image) or crop (a window at the original scale)."),
            Field("--seed", c => c.Seed, "Seed of initialisation, shuffling and augmentation."),
            Field("--workers", c => c.Workers, "Data-loading threads."),
            Field("--device", c => c.Device, "cpu, cuda, cuda:N or auto."),
            Field("--eval-every", c => c.EvalEvery, "Evaluate every N iterations (0 = every epoch)."),
            Field("--log-every", c => c.LogEvery, "Log every N iterations."),
            Field("--zero-init", c => c.ZeroInitLast, "Zero-initialise each unit's last BN."),
            Field("--skip-non-finite", c => c.SkipNonFinite, "Skip steps whose loss is NaN or infinite instead of stopping."),
            Field("--from", c => c.From, "Fine-tune: start from this checkpoint, run folder, safetensors or .pth state dict (a new classifier if classes differ)."),
            Field("--freeze-stages", c => c.FreezeStages, "Fine-tune: keep the stem and the first K stages fixed."),
            Field("--freeze-bn", c => c.FreezeNorm, "Fine-tune: keep BN statistics fixed (as the paper does for detection)."),
            Optional("--classes", c => c.Classes, "Classifier outputs (default: the data's classes)."),
            Field("--sync-bn", c => c.SyncBatchNorm, "Under mpirun: BN uses the statistics of the whole global batch (all ranks), so N ranks × b train as 1 × N·b."),
        ];
        var progressive = new Option<string?>("--progressive")
        {
            Description = "Progressive resizing: side:until phases, e.g. 16:0.35,24:0.7 trains on batches downscaled to 16 px for the first 35% of iterations, 24 px until 70%, then the full crop.",
        };
        var noDecay = new Option<bool>("--no-decay-norm-bias") { Description = "No weight decay on BN parameters and biases." };
        var hangTimeout = new Option<double>("--hang-timeout")
        {
            Description = "Under mpirun: seconds a rank waits for the others at a gradient exchange before it ends the job naming the rank that is hung or stopped (0 = wait forever).",
            DefaultValueFactory = _ => DefaultHangTimeout.TotalSeconds,
        };
        var command = new Command("train", "Train a network with the paper's recipe (default: ResNet-20 on CIFAR-10, section 4.2).")
        {
            recipe, configFile, output, resume, budget, epochs, milestones, progressive, noDecay, precision, hangTimeout,
        };
        foreach (var f in fields) command.Options.Add(f);

        command.SetAction(parse => CommonOptions.Run(parse, () =>
        {
            using var signals = Signals.Register(); // Ctrl-C or SIGTERM: finish the step, write a checkpoint, exit 130 or 143
            var cancel = Signals.Token;
            // under mpirun every rank runs this command; they train one model data-parallel (README, "Training on several processes or machines")
            if (parse.GetValue(hangTimeout) is var h && (h < 0 || double.IsNaN(h)))
                throw new ArgumentException($"--hang-timeout must be 0 (wait forever) or a number of seconds (got {h}).");
            var mpi = MpiLaunch.Current is null ? null : OpenMpi.Initialize();
            var followers = mpi is { Rank: > 0 };
            var position = new Position { Mpi = mpi, HangTimeout = parse.GetValue(hangTimeout) is > 0 and var hs ? TimeSpan.FromSeconds(hs) : null };
            // mpirun stops every rank with SIGTERM when one fails: say where this one was, and leave if a dead rank blocks it
            using var stopped = mpi is { Size: > 1 } ? PosixSignalRegistration.Create(PosixSignal.SIGTERM, _ =>
            {
                Console.Error.WriteLine($"rank {mpi.Rank}: SIGTERM at iteration {position.Iteration} (mpirun sends it to every rank when one fails or the job is stopped); " +
                                        (position.Checkpoint is { } c ? $"the last checkpoint is of iteration {c}" : "no checkpoint yet"));
                new Thread(() =>
                {
                    Thread.Sleep(StopGrace); // enough to finish a step and write a checkpoint; an all-reduce with a dead rank never returns
                    Console.Error.WriteLine($"rank {mpi.Rank}: still running {StopGrace.TotalSeconds:0} s after SIGTERM (another rank is gone); exiting");
                    Environment.Exit(ExitCodes.Terminated);
                })
                { IsBackground = true }.Start();
            }) : null;
            TrainingResult Train(Func<ITrainingObserver, TrainingResult> train) =>
                followers ? train(new Tracking(new FollowerObserver(mpi!), position)) : WithProgress(o => train(new Tracking(o, position)));
            TrainingResult result;
            if (parse.GetValue(resume) is { } runDir)
            {
                Precision? switchTo = parse.GetResult(precision) is { Implicit: false } ? parse.GetValue(precision) : null;
                result = Train(o => TrainingRun.Resume(runDir, o, cancel, switchTo, mpi));
            }
            else
            {
                var config = Resolve(parse, fieldOptions, parse.GetValue(recipe)!, parse.GetValue(configFile), parse.GetValue(budget), parse.GetValue(epochs),
                    parse.GetValue(milestones), parse.GetResult(noDecay) is { Implicit: false } ? !parse.GetValue(noDecay) : null, parse.GetValue(progressive));
                if (config.SyncBatchNorm && mpi is not { Size: > 1 }) Console.WriteLine("note: --sync-bn has no effect on one process (it is for runs under mpirun)");
                // a name from the clock would differ between ranks (and hosts): rank 0 chooses it
                var dir = parse.GetValue(output) ?? Path.Combine("runs", $"{config.Model}-{DateTime.Now:yyyyMMdd-HHmmss}");
                result = Train(o => TrainingRun.Run(config, dir, o, cancel, mpi));
            }
            mpi?.Shutdown();
            if (followers)
            {
                Console.WriteLine($"rank {mpi!.Rank}: {(result.Interrupted ? "interrupted" : "done")}");
                return result.Interrupted ? Signals.ExitCode ?? ExitCodes.Interrupted : ExitCodes.Done;
            }
            var last = result.Metrics.LastOrDefault();
            AnsiConsole.MarkupLine(result.Interrupted
                ? $"[yellow]interrupted[/]: checkpoint {Markup.Escape(result.LatestCheckpoint)}; continue with [bold]resnet train --resume {Markup.Escape(result.RunDirectory)}[/]"
                : $"[green]done[/]: test error [bold]{result.FinalTestError * 100:0.00}%[/] (accuracy {(1 - result.FinalTestError) * 100:0.00}%) of the latest checkpoint " +
                  $"{Markup.Escape(Path.GetFileName(result.LatestCheckpoint))}" +
                  (result.BestCheckpoint is { } bestFile && result.BestTestError is { } bestError
                      ? $"; best {bestError * 100:0.00}% in {Markup.Escape(Path.GetFileName(bestFile))} (what eval and predict load for the run folder)"
                      : "") +
                  $"; train error {result.FinalTrainError * 100:0.00}%, {last?.Seconds / 60:0.0} min; run folder {Markup.Escape(result.RunDirectory)}");
            return result.Interrupted ? Signals.ExitCode ?? ExitCodes.Interrupted : ExitCodes.Done;
        }));
        return command;
    }

    /// <summary>The flags that were given as overrides, resolved by <see cref="TrainingConfig.Resolve"/> (recipe, then the JSON file, then them).</summary>
    static TrainingConfig Resolve(ParseResult parse, IReadOnlyList<(Option Option, Action<ParseResult, TrainingOverrides> Set)> fields, string recipeName, FileInfo? file, double? budget,
        double? epochs, string? milestones, bool? decayNormAndBias, string? progressive)
    {
        var overrides = new TrainingOverrides();
        foreach (var (option, set) in fields)
            if (parse.GetResult(option) is { Implicit: false }) set(parse, overrides); // only flags the user gave
        if (epochs is not null && overrides.Sets(nameof(TrainingConfig.Iterations)))
            throw new ArgumentException("Give --epochs or --iterations, not both: --epochs sets the iterations from the data.");
        if (milestones is not null) overrides.Set(c => c.Milestones, milestones.Split(',', StringSplitOptions.RemoveEmptyEntries).Select(m => int.Parse(m.Trim(), CultureInfo.InvariantCulture)).ToArray());
        if (decayNormAndBias is { } d) overrides.Set(c => c.DecayNormAndBias, d);
        if (progressive is not null) overrides.Set(c => c.ProgressiveResize, ProgressiveResize.Parse(progressive));
        return TrainingConfig.Resolve(recipeName, file?.FullName, overrides, epochs, budget);
    }

    static TrainingResult WithProgress(Func<ITrainingObserver, TrainingResult> train)
    {
        if (!AnsiConsole.Profile.Capabilities.Interactive) return train(new LineObserver());
        TrainingResult? result = null;
        AnsiConsole.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn())
            .Start(ctx => result = train(new BarObserver(ctx)));
        return result!;
    }

    /// <summary>The ranks of an mpirun job, as rank 0's start line reports them (empty on one process).</summary>
    static string RanksNote(TrainingConfig config) => MpiLaunch.Current is { Size: > 1 } launch
        ? $", data-parallel over {launch.Size} ranks of {config.BatchSize / launch.Size} images each{(config.SyncBatchNorm ? " with synchronised BN" : "")}; " +
          $"img/s counts all ranks; rank 0 is pid {Environment.ProcessId} on {Environment.MachineName}"
        : "";

    /// <summary>Plain lines for logs and pipes.</summary>
    internal sealed class LineObserver : ITrainingObserver
    {
        public void Started(TrainingConfig config, NetworkSpec spec, TrainingProgress progress, string dataDescription) =>
            Console.WriteLine($"training {spec.Name} ({config.Recipe}) on {dataDescription}: {config.Iterations:N0} iterations of {config.BatchSize}, from iteration {progress.Iteration:N0}{RanksNote(config)}");

        public void Logged(MetricsRow r) => Console.WriteLine(Format(r));

        public void Note(string message) => Console.WriteLine($"note: {message}");
    }

    /// <summary>A live bar with loss, error, lr, img/s and ETA.</summary>
    sealed class BarObserver(ProgressContext ctx) : ITrainingObserver
    {
        ProgressTask? task;
        MetricsRow? last;

        public void Started(TrainingConfig config, NetworkSpec spec, TrainingProgress progress, string dataDescription)
        {
            AnsiConsole.MarkupLine($"training [bold]{Markup.Escape(spec.Name)}[/] ({config.Recipe}) on {Markup.Escape(dataDescription)}{Markup.Escape(RanksNote(config))}");
            task = ctx.AddTask(spec.Name, maxValue: config.Iterations);
            task.Value = progress.Iteration;
        }

        public void Stepped(long iteration, double loss, double learningRate)
        {
            if (task is null) return;
            task.Value = iteration + 1;
            task.Description = $"it {iteration + 1:N0} loss {loss:0.000} lr {learningRate:0.####}" +
                               (last is null ? "" : $" err {last.TrainError * 100:0.0}% {last.ImagesPerSecond:0} img/s") +
                               (last?.TestError is { } t ? $" test {t * 100:0.00}%" : "");
        }

        public void Logged(MetricsRow r)
        {
            last = r with { TestError = r.TestError ?? last?.TestError };
            if (r.TestError is not null) AnsiConsole.WriteLine(Format(r));
        }

        public void Note(string message) => AnsiConsole.MarkupLine($"[yellow]note[/]: {Markup.Escape(message)}");
    }

    /// <summary>A rank other than 0: one line when it starts (rank 0 prints the progress of all), its errors, one line at the end.</summary>
    sealed class FollowerObserver(OpenMpi mpi) : ITrainingObserver
    {
        public void Started(TrainingConfig config, NetworkSpec spec, TrainingProgress progress, string dataDescription) =>
            Console.WriteLine($"rank {mpi.Rank}/{mpi.Size} (pid {Environment.ProcessId} on {Environment.MachineName}): training {spec.Name} on {config.BatchSize / mpi.Size} images " +
                              $"of every batch of {config.BatchSize}, from iteration {progress.Iteration:N0}; rank 0 prints the progress and writes the run folder");
    }

    /// <summary>How long a rank of an mpirun job may take to stop after SIGTERM before it leaves on its own.</summary>
    static readonly TimeSpan StopGrace = TimeSpan.FromSeconds(45);

    /// <summary>
    /// How long a rank of an mpirun job waits for the others at a collective once training runs (start-up, where one rank
    /// may unpack an archive while the others wait, is not timed). Evaluation is shared by all ranks and checkpoints are
    /// written in seconds, so five minutes is only reached by a rank that stopped.
    /// </summary>
    public static readonly TimeSpan DefaultHangTimeout = TimeSpan.FromMinutes(5);

    /// <summary>
    /// Where a run is: the last iteration finished and the iteration of the last checkpoint (written with each test error);
    /// under mpirun it tells MPI the iteration and arms hang detection after the first step, at the same point on every rank.
    /// </summary>
    sealed class Position
    {
        public long Iteration;
        public long? Checkpoint;
        public OpenMpi? Mpi;
        public TimeSpan? HangTimeout;
        bool armed;

        public void Stepped(long finished)
        {
            Iteration = finished;
            if (Mpi is not { Size: > 1 } mpi) return;
            mpi.Iteration = finished;
            if (!armed && HangTimeout is { } timeout) mpi.DetectHangs(timeout);
            armed = true;
        }
    }

    sealed class Tracking(ITrainingObserver inner, Position position) : ITrainingObserver
    {
        public void Started(TrainingConfig config, NetworkSpec spec, TrainingProgress progress, string dataDescription)
        {
            (position.Iteration, position.Checkpoint) = (progress.Iteration, progress.Iteration > 0 ? progress.Iteration : null);
            inner.Started(config, spec, progress, dataDescription);
        }

        public void Stepped(long iteration, double loss, double learningRate)
        {
            position.Stepped(iteration + 1);
            inner.Stepped(iteration, loss, learningRate);
        }

        public void Logged(MetricsRow row)
        {
            if (row.TestError is not null) position.Checkpoint = row.Iteration;
            inner.Logged(row);
        }

        public void Note(string message) => inner.Note(message);
    }

    static string Format(MetricsRow r) =>
        $"it {r.Iteration,7:N0}  epoch {r.Epoch,6:0.00}  lr {r.LearningRate,-8:0.#####} loss {r.TrainLoss:0.0000}  train err {r.TrainError * 100,6:0.00}%" +
        (r.TestError is { } t ? $"  test err {t * 100,6:0.00}%" : "") + $"  {r.ImagesPerSecond,6:0} img/s  {r.Seconds / 60,6:0.0} min";
}
