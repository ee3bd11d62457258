using System.CommandLine;
using ResNetSharp.Analysis;
using ResNetSharp.Data;
using ResNetSharp.Reproduce;
using ResNetSharp.Training;
using Spectre.Console;

namespace ResNetSharp.Cli.Commands;

/// <summary>
/// <c>resnet reproduce &lt;experiment&gt; [--budget F] [--seeds K] [--out DIR] [--runs DIR] [--data PATH] [--plan]</c>: trains what an
/// experiment of the paper needs (resuming finished runs) and writes report.md with figures.
/// </summary>
static class ReproduceCommand
{
    public static Command Create()
    {
        var experiment = new Argument<string>("experiment") { Description = $"One of: {string.Join(", ", Experiments.Names)}." };
        var budget = new Option<double>("--budget") { Description = "Fraction of every paper schedule to train, in (0, 1] (default 1: the full schedule).", DefaultValueFactory = _ => 1.0 };
        var seeds = new Option<int>("--seeds") { Description = "Seeds per network; the report gives best and mean ± std.", DefaultValueFactory = _ => 1 };
        var output = new Option<string?>("--out") { Description = "Output folder (default: reproduce/<experiment>); run again with the same folder to resume." };
        var data = new Option<string?>("--data") { Description = "cifar10 (default for CIFAR experiments), or an ImageFolder root / .tar.gz (required by shortcuts and imagenet-depth)." };
        var runsFolder = new Option<string?>("--runs") { Description = "Folder of the run folders (default: <out>/runs); give two experiments the same one to share the networks they both train." };
        var dataDir = new Option<string?>("--data-dir") { Description = "Where CIFAR binaries are (or go); default the cache folder." };
        var crop = new Option<int>("--crop") { Description = "Crop side of the ImageNet experiments on an ImageFolder (paper: 224).", DefaultValueFactory = _ => 64 };
        var extended = new Option<bool>("--extended") { Description = "Also the costliest nets: ResNet-1202 (cifar-depth), ResNet-101/152 (imagenet-depth)." };
        var zeroInit = new Option<bool>("--zero-init-residual") { Description = "Residual nets start with each unit's last BN scale at zero (not the paper's init; steadies deep nets on short budgets)." };
        var planOnly = new Option<bool>("--plan") { Description = "Print the plan (runs, configurations, protocol) without training." };
        var command = new Command("reproduce", "Reproduce an experiment of the paper: train its runs (resumable), then write report.md next to the paper's numbers.")
        {
            experiment, budget, seeds, output, runsFolder, data, dataDir, crop, extended, zeroInit, planOnly, CommonOptions.Json,
        };
        command.SetAction(parse => CommonOptions.Run(parse, () =>
        {
            var options = new ReproduceOptions
            {
                Budget = parse.GetValue(budget),
                Seeds = parse.GetValue(seeds),
                Data = parse.GetValue(data),
                DataDir = parse.GetValue(dataDir),
                ImageFolderCropSize = parse.GetValue(crop),
                Extended = parse.GetValue(extended),
                ZeroInitResidual = parse.GetValue(zeroInit),
            };
            var plan = Experiments.Plan(parse.GetValue(experiment)!, options);
            var folder = parse.GetValue(output) ?? Path.Combine("reproduce", plan.Experiment);
            if (parse.GetValue(planOnly))
            {
                PrintPlan(plan, folder, parse.GetValue(CommonOptions.Json));
                return 0;
            }

            using var cancel = new CancellationTokenSource();
            Console.CancelKeyPress += (_, e) =>
            {
                e.Cancel = true; // finish the current step, checkpoint and write the report
                cancel.Cancel();
            };
            var runner = new ReproduceRunner(Train, MeasureResponses)
            {
                Progress = p => AnsiConsole.MarkupLine($"[grey][[{p.Index + 1}/{p.Count}]][/] {Markup.Escape(p.Run.Folder)}: {p.State}"),
            };
            var outcome = runner.Run(plan, folder, cancel.Token, parse.GetValue(runsFolder));
            AnsiConsole.MarkupLine($"Report: [bold]{Markup.Escape(outcome.ReportPath)}[/]" + (outcome.Complete ? "" : " [yellow](incomplete: run the same command again to resume)[/]"));
            return outcome.Complete ? 0 : 3;
        }));
        return command;
    }

    // A run folder left by an interrupted reproduce continues from its checkpoint.
    static TrainingResult Train(TrainingConfig config, string runDirectory, CancellationToken ct) =>
        File.Exists(Path.Combine(runDirectory, TrainingRun.LatestFile))
            ? TrainingRun.Resume(runDirectory, new TrainCommand.LineObserver(), ct)
            : TrainingRun.Run(config, runDirectory, new TrainCommand.LineObserver(), ct);

    // Fig. 7 is measured on the test set with the trained (final) weights.
    static LayerResponseStd MeasureResponses(TrainingConfig config, TrainingResult result)
    {
        using var checkpoint = Checkpoint.Load(result.LatestCheckpoint);
        using var model = checkpoint.CreateModel();
        var data = TrainingData.Open(checkpoint.Config, checkpoint.Normalization);
        var loader = new DataLoader(data.Test, data.TestTransform, new DataLoaderOptions
        {
            BatchSize = 500,
            Shuffle = false,
            Workers = config.Workers,
            Normalization = data.Normalization,
        });
        return LayerResponses.Measure(model, loader);
    }

    static void PrintPlan(ExperimentPlan plan, string folder, bool json)
    {
        if (json)
        {
            CommonOptions.WriteJson(new { plan.Experiment, plan.Title, Out = folder, plan.Options, plan.Protocol, plan.Runs });
            return;
        }
        AnsiConsole.MarkupLine($"[bold]{Markup.Escape(plan.Experiment)}[/]: {Markup.Escape(plan.Title)}");
        AnsiConsole.MarkupLine($"protocol: {Markup.Escape(plan.Protocol.ToString())}");
        AnsiConsole.MarkupLine($"output: {Markup.Escape(folder)} (runs under runs/, report in report.md)");
        var table = new Table().Border(TableBorder.Rounded).AddColumns("run folder", "network", "group", "seed", "recipe", "iterations", "milestones", "batch", "data");
        foreach (var r in plan.Runs)
        {
            table.AddRow(Markup.Escape(r.Folder), Markup.Escape(r.Network), r.Group, $"{r.Seed}", r.Config.Recipe, $"{r.Config.Iterations:N0}",
                r.Config.Milestones.Count == 0 ? r.Config.Schedule.ToString().ToLowerInvariant() : string.Join(", ", r.Config.Milestones),
                $"{r.Config.BatchSize}", Markup.Escape(r.Config.Data + (r.Config.CropSize is { } c ? $" @ {c}px" : "")));
        }
        AnsiConsole.Write(table);
    }
}
