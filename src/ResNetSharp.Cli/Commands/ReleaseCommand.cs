using System.CommandLine;
using ResNetSharp.Pretrained;
using Spectre.Console;

namespace ResNetSharp.Cli.Commands;

/// <summary>
/// <c>resnet release &lt;run&gt; --name resnet20-cifar10 --out pretrained/ [--data …]</c>: a finished run becomes a
/// release folder (weights only, model card, curve, metrics) that <c>--pretrained</c> and <c>ModelZoo.Pretrained</c> load.
/// </summary>
static class ReleaseCommand
{
    public static Command Create()
    {
        var run = new Argument<string>("run") { Description = "A finished run folder of 'resnet train' (config.json, latest.ckpt, metrics.csv, curve.png)." };
        var name = new Option<string?>("--name") { Description = "Release name, <network>-<dataset> (default: e.g. resnet20-cifar10)." };
        var output = new Option<string>("--out") { Description = "Folder the release folder goes into (the repository's pretrained/).", Required = true };
        var data = new Option<string?>("--data") { Description = "Test data for the measured errors: cifar10, an ImageFolder or its .tar.gz (default: the run's data)." };
        var dataDir = new Option<string?>("--data-dir") { Description = "Folder of the CIFAR binaries." };
        var checkpoint = new Option<string>("--checkpoint") { Description = "latest (the end of training, as the paper reports) or best (chosen on the test set).", DefaultValueFactory = _ => "latest" };
        checkpoint.AcceptOnlyFromAmong("latest", "best");
        var unfinished = new Option<bool>("--allow-unfinished") { Description = "Release a run that stopped before its last iteration." };
        var force = new Option<bool>("--force") { Description = "Replace an existing release of the same name." };
        var notes = new Option<string?>("--notes") { Description = "Markdown file shown under \"Notes\" in the model card (known gaps, data caveats)." };
        var workers = new Option<int>("--workers") { Description = "Data-loading threads.", DefaultValueFactory = _ => 2 };
        var command = new Command("release", "Release a finished run with its weights (safetensors, SHA-256), model card, curve and metrics, for --pretrained.")
        {
            run, name, output, data, dataDir, checkpoint, unfinished, force, notes, workers, CommonOptions.Json,
        };
        command.SetAction(parse => CommonOptions.Run(parse, () =>
        {
            var json = parse.GetValue(CommonOptions.Json);
            var options = new ReleaseOptions
            {
                Name = parse.GetValue(name),
                OutputRoot = parse.GetValue(output)!,
                Data = parse.GetValue(data),
                DataDir = parse.GetValue(dataDir),
                Checkpoint = parse.GetValue(checkpoint)!,
                AllowUnfinished = parse.GetValue(unfinished),
                Overwrite = parse.GetValue(force),
                Workers = parse.GetValue(workers),
                Notes = parse.GetValue(notes) is { } file
                    ? File.Exists(file) ? File.ReadAllText(file) : throw new FileNotFoundException($"No notes file at '{file}'. Check the path.", file)
                    : null,
            };
            var card = Release(parse.GetValue(run)!, options, quiet: json);
            if (json)
            {
                CommonOptions.WriteJson(card);
                return 0;
            }
            var folder = Path.Combine(options.OutputRoot, card.Name);
            AnsiConsole.MarkupLine($"released [bold]{Markup.Escape(card.Name)}[/] to {Markup.Escape(folder)}: {Markup.Escape(card.Description)}, {card.Iterations:N0} iterations");
            AnsiConsole.MarkupLine($"{Markup.Escape(card.SingleView.Protocol)}: top-1 error [bold]{card.SingleView.Top1Error * 100:0.00}%[/] on {card.SingleView.Images:N0} images" +
                                   (card.PaperTop1Error is { } p ? $" (paper {p:0.00}%)" : ""));
            AnsiConsole.MarkupLine($"{Markup.Escape(card.FlipAveraged.Protocol)}: top-1 error {card.FlipAveraged.Top1Error * 100:0.00}%");
            if (card.EvaluatedOnSample) AnsiConsole.MarkupLine("[yellow]these errors are on the embedded sample, not a full test set[/]: pass --data with the full test set");
            if (card.Sample is { } s) AnsiConsole.MarkupLine($"embedded sample: {s.Correct:N0} of {s.Images:N0} test images correct ({s.Accuracy * 100:0.00}%)");
            AnsiConsole.MarkupLine($"{card.Weights.File}: {card.Weights.Bytes / 1e6:0.00} MB, SHA-256 {card.Weights.Sha256}");
            AnsiConsole.MarkupLine($"reproduce: {Markup.Escape(card.Command)}");
            return 0;
        }));
        return command;
    }

    /// <summary>Runs the release with one progress bar per evaluation when the output is a terminal.</summary>
    static ModelCard Release(string run, ReleaseOptions options, bool quiet)
    {
        void Note(string n) => Console.Error.WriteLine($"note: {n}");
        if (quiet || !AnsiConsole.Profile.Capabilities.Interactive) return ModelRelease.Create(run, options, Note);
        ModelCard? card = null;
        AnsiConsole.Progress().Start(ctx =>
        {
            var tasks = new Dictionary<string, ProgressTask>();
            card = ModelRelease.Create(run, options, Note, (what, done, total) =>
            {
                if (!tasks.TryGetValue(what, out var task)) tasks[what] = task = ctx.AddTask($"evaluating ({Markup.Escape(what)})", maxValue: total);
                task.Value = done;
            });
        });
        return card!;
    }
}
