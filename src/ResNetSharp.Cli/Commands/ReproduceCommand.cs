using System.CommandLine;
using System.Diagnostics;
using ResNetSharp.Analysis;
using ResNetSharp.Data;
using ResNetSharp.Evaluation;
using ResNetSharp.Reproduce;
using ResNetSharp.Runtime;
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
        var experiment = new Argument<string>("experiment") { Description = $"One of: {string.Join(", ", Experiments.Names.Concat(Analyses))} (analyses at initialisation: {string.Join(", ", Analyses)})." };
        var budget = new Option<double>("--budget") { Description = "Fraction of every paper schedule to train, in (0, 1] (default 1: the full schedule).", DefaultValueFactory = _ => 1.0 };
        var seeds = new Option<int>("--seeds") { Description = "Seeds per network; the report gives best and mean ± std.", DefaultValueFactory = _ => 1 };
        var output = new Option<string?>("--out") { Description = "Output folder (default: reproduce/<experiment>); run again with the same folder to resume." };
        var data = new Option<string?>("--data") { Description = "cifar10 (default for CIFAR experiments), or an ImageFolder root / .tar.gz (required by shortcuts and imagenet-depth)." };
        var runsFolder = new Option<string?>("--runs") { Description = "Folder of the run folders (default: <out>/runs); give two experiments the same one to share the networks they both train." };
        var dataDir = new Option<string?>("--data-dir") { Description = "Where CIFAR binaries are (or go); default the cache folder." };
        var crop = new Option<int>("--crop") { Description = "Crop side of the ImageNet experiments on an ImageFolder (paper: 224).", DefaultValueFactory = _ => 64 };
        var extended = new Option<bool>("--extended") { Description = "Also the costliest nets: ResNet-1202 (cifar-depth), ResNet-101/152 (imagenet-depth)." };
        var zeroInit = new Option<bool>("--zero-init-residual") { Description = "Residual nets start with each unit's last BN scale at zero (not the paper's init; steadies deep nets on short budgets)." };
        var planOnly = new Option<bool>("--plan") { Description = "Print the plan (runs, configurations, protocol) and its cost estimated from a short probe of each network, without training." };
        var measureImages = new Option<int>("--measure-images") { Description = "Training images the final training error is measured on after training, in eval mode (default 10000).", DefaultValueFactory = _ => 10_000 };
        var depth = new Option<int?>("--depth") { Description = "Depth 6n+2 of the networks of activation-placement and shortcut-scaling (default 110, the paper's)." };
        var depths = new Option<string?>("--depths") { Description = $"Depths of {GradientFlow.ExperimentName}, comma-separated (default 20,32,44,56,110)." };
        var images = new Option<int?>("--images") { Description = $"Images of the one batch {GradientFlow.ExperimentName} takes the loss on (default 16)." };
        var probeCache = new Option<string?>("--probe-cache") { Description = "File of cached speed probes for --plan (default: probe-speeds.json in the cache folder)." };
        var command = new Command("reproduce", "Reproduce an experiment of the paper: train its runs (resumable), then write report.md next to the paper's numbers.")
        {
            experiment, budget, seeds, output, runsFolder, data, dataDir, crop, extended, zeroInit, measureImages, depth, depths, images, planOnly, probeCache, CommonOptions.Json,
        };
        command.SetAction(parse => CommonOptions.Run(parse, () =>
        {
            // analyses at initialisation need no training and have their own report
            var name = parse.GetValue(experiment)!.Trim().ToLowerInvariant();
            if (name == GradientFlow.ExperimentName)
                return GradientFlowCommand.Run(parse.GetValue(data), parse.GetValue(output), parse.GetValue(depths), parse.GetValue(images), parse.GetValue(planOnly), parse.GetValue(CommonOptions.Json));
            if (name == ShatteredGradientsAnalysis.Name)
                return ShatteredGradientsCommand.Run(parse.GetValue(output), parse.GetResult(seeds) is { Implicit: false } ? parse.GetValue(seeds) : null,
                    parse.GetValue(data), parse.GetValue(dataDir), parse.GetValue(planOnly), parse.GetValue(CommonOptions.Json));
            if (!Experiments.Names.Contains(name))
                throw new ArgumentException($"Unknown experiment '{parse.GetValue(experiment)}'. Known experiments: {string.Join(", ", Experiments.Names.Concat(Analyses))}.");
            var options = new ReproduceOptions
            {
                Budget = parse.GetValue(budget),
                Seeds = parse.GetValue(seeds),
                Data = parse.GetValue(data),
                DataDir = parse.GetValue(dataDir),
                ImageFolderCropSize = parse.GetValue(crop),
                Extended = parse.GetValue(extended),
                ZeroInitResidual = parse.GetValue(zeroInit),
                TrainMeasureImages = parse.GetValue(measureImages),
                Depth = parse.GetValue(depth),
            };
            var plan = Experiments.Plan(parse.GetValue(experiment)!, options);
            var folder = parse.GetValue(output) ?? Path.Combine("reproduce", plan.Experiment);
            if (parse.GetValue(planOnly))
            {
                var json = parse.GetValue(CommonOptions.Json);
                var cache = parse.GetValue(probeCache) ?? Path.Combine(CachePaths.Root, "probe-speeds.json");
                var probes = CostProbe.ForPlan(plan, cache, net =>
                {
                    if (!json) AnsiConsole.MarkupLine($"[grey]probing {Markup.Escape(net)} (a few timed steps, cached in {Markup.Escape(cache)})[/]");
                });
                var estimate = CostProbe.Estimate(plan, probes,
                    $"{CostProbe.Side(plan)}px probes of {probes.Count} networks on {Provenance.CpuModel()} with {TorchSharp.torch.get_num_threads()} threads " +
                    $"(cached in {cache}); the fastest of 3 steps in the plain memory layout on random images, so data loading and a shared CPU add to it");
                PrintPlan(plan, folder, estimate, json);
                return 0;
            }

            using var cancel = new CancellationTokenSource();
            Console.CancelKeyPress += (_, e) =>
            {
                e.Cancel = true; // finish the current step, checkpoint and write the report
                cancel.Cancel();
            };
            var runner = new ReproduceRunner(ReproduceTraining.TrainOrResume, (config, result) => ReproduceTraining.MeasureResponses(config, result,
                (done, total, time) => Console.Write($"\r  measuring layer responses: batch {done}/{total} ({time.TotalSeconds:0} s)" + (done == total ? "\n" : ""))))
            {
                Progress = p => AnsiConsole.MarkupLine($"[grey][[{p.Index + 1}/{p.Count}]][/] {Markup.Escape(p.Run.Folder)}: {p.State}"),
                MeasureFinal = (config, result) => ReproduceTraining.MeasureFinal(config, result, options.TrainMeasureImages,
                    (done, total) => Console.Write($"\r  measuring the final training error: batch {done}/{total}" + (done == total ? "\n" : ""))),
                Observer = new TrainCommand.LineObserver(),
                Provenance = Provenance.Current,
            };
            var outcome = runner.Run(plan, folder, cancel.Token, parse.GetValue(runsFolder));
            AnsiConsole.MarkupLine($"Report: [bold]{Markup.Escape(outcome.ReportPath)}[/]" + (outcome.Complete ? "" : " [yellow](incomplete: run the same command again to resume)[/]"));
            return outcome.Complete ? 0 : 3;
        }));
        return command;
    }

    /// <summary>Names that are analyses at initialisation (no training), dispatched before the trained experiments.</summary>
    static readonly string[] Analyses = [GradientFlow.ExperimentName, ShatteredGradientsAnalysis.Name];

    static void PrintPlan(ExperimentPlan plan, string folder, CostEstimate estimate, bool json)
    {
        if (json)
        {
            CommonOptions.WriteJson(new { plan.Experiment, plan.Title, Out = folder, plan.Options, plan.Protocol, plan.Runs, Estimate = estimate });
            return;
        }
        AnsiConsole.MarkupLine($"[bold]{Markup.Escape(plan.Experiment)}[/]: {Markup.Escape(plan.Title)}");
        AnsiConsole.MarkupLine($"protocol: {Markup.Escape(plan.Protocol.ToString())}");
        AnsiConsole.MarkupLine($"output: {Markup.Escape(folder)} (runs under runs/, report in report.md)");
        var table = new Table().Border(TableBorder.Rounded).AddColumns("run folder", "network", "group", "seed", "recipe", "iterations", "milestones", "batch", "eval every", "data", "est. hours");
        var hours = estimate.Runs.ToDictionary(r => r.Folder, r => r.Hours);
        foreach (var r in plan.Runs)
        {
            table.AddRow(Markup.Escape(r.Folder), Markup.Escape(r.Network), r.Group, $"{r.Seed}", r.Config.Recipe, $"{r.Config.Iterations:N0}",
                r.Config.Milestones.Count == 0 ? r.Config.Schedule.ToString().ToLowerInvariant() : string.Join(", ", r.Config.Milestones),
                $"{r.Config.BatchSize}", r.Config.EvalEvery == 0 ? "epoch" : $"{r.Config.EvalEvery:N0}",
                Markup.Escape(Path.GetFileName(r.Config.Data.TrimEnd('/')) + (r.Config.CropSize is { } c ? $" @ {c}px" : "")), $"{hours[r.Folder]:0.00}");
        }
        AnsiConsole.Write(table);
        AnsiConsole.MarkupLine($"images: {estimate.TrainImages:N0} trained, {estimate.EvalImages:N0} evaluated during training{(plan.TestImagesAssumed ? $" (test set assumed {plan.TestImages:N0} images)" : "")}, {estimate.MeasureImages:N0} measured after");
        AnsiConsole.MarkupLine($"[bold]estimated {FormatHours(estimate.Hours)}[/] on this machine: training {FormatHours(estimate.TrainingHours)}, evaluation {FormatHours(estimate.EvaluationHours)} " +
            $"({estimate.EvaluationShare:P0} of training, capped at {Experiments.EvaluationShare:P0} when planned), final measurements {FormatHours(estimate.MeasurementHours)}");
        AnsiConsole.MarkupLine($"[grey]from {Markup.Escape(estimate.Basis)}[/]");
    }

    static string FormatHours(double hours) =>
        hours < 1 ? $"{hours * 60:0} min" : hours < 48 ? $"{hours:0.0} h" : hours < 24 * 60 ? $"{hours / 24:0.0} days" : $"{hours / 24 / 30:0.0} months";
}
