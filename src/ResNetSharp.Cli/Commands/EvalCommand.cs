using System.CommandLine;
using ResNetSharp.Data;
using ResNetSharp.Evaluation;
using ResNetSharp.Runtime;
using ResNetSharp.Training;
using Spectre.Console;

namespace ResNetSharp.Cli.Commands;

/// <summary><c>resnet eval &lt;checkpoint&gt;</c>: top-1/top-5 error with the protocol named, per-class accuracy, confusion matrix.</summary>
static class EvalCommand
{
    public static Command Create()
    {
        var checkpoint = new Argument<string?>("checkpoint") { Description = "A .ckpt file, or a run folder (its best.ckpt); or none with --pretrained.", Arity = ArgumentArity.ZeroOrOne };
        var pretrained = PretrainedOption.Create();
        var data = new Option<string?>("--data") { Description = "Evaluate on this data instead of the run's (cifar10, an ImageFolder, or a .tar.gz)." };
        var dataDir = new Option<string?>("--data-dir") { Description = "Folder of the CIFAR binaries." };
        var protocol = new Option<string>("--protocol") { Description = "single (the paper's CIFAR test), flip (single view and its mirror, scores averaged; not the paper's), 10-crop or multi-scale (fully convolutional, scores averaged over scales).", DefaultValueFactory = _ => "single" };
        protocol.AcceptOnlyFromAmong("single", "flip", "10-crop", "multi-scale");
        var scales = new Option<string?>("--scales") { Description = "Shorter sides for multi-scale (default: the paper's 224,256,384,480,640, scaled to the network's input)." };
        var batch = new Option<int>("--batch-size") { Description = "Images per batch.", DefaultValueFactory = _ => 256 };
        var workers = new Option<int>("--workers") { Description = "Data-loading threads.", DefaultValueFactory = _ => 2 };
        var device = new Option<string>("--device") { Description = "cpu, cuda or auto.", DefaultValueFactory = _ => "cpu" };
        var precision = CommonOptions.Precision();
        var command = new Command("eval", "Evaluate a checkpoint: top-1/top-5 error (single view, flip-averaged, 10-crop or multi-scale), per-class accuracy, confusion matrix.")
        {
            checkpoint, pretrained, data, dataDir, protocol, scales, batch, workers, device, precision, CommonOptions.Json,
        };
        command.SetAction(parse => CommonOptions.Run(parse, () =>
        {
            using var trained = PretrainedOption.Open(parse.GetValue(checkpoint), parse.GetValue(pretrained), Devices.Parse(parse.GetValue(device)));
            var (path, model) = (trained.Source, trained.Model);
            if (trained.Config.Recipe == "imported" && parse.GetValue(data) is null)
                throw new ArgumentException($"'{path}' was imported from {trained.Config.Data} and has no data set of its own; give --data (an ImageFolder or a .tar.gz of one, or cifar10).");
            var config = trained.Config with
            {
                Data = parse.GetValue(data) ?? trained.Config.Data,
                DataDir = parse.GetValue(dataDir) ?? trained.Config.DataDir,
                Validation = parse.GetValue(data) is null && trained.Config.Validation,
            };
            var set = TrainingData.Open(config, trained.Normalization, note => Console.Error.WriteLine($"note: {note}"));
            var json = parse.GetValue(CommonOptions.Json);
            var testResize = set.TestTransform is CenterCrop { ResizeShorterSide: { } side } ? side : (int?)null;
            var preprocessing = Interop.ImagePreprocessing.From(set.Normalization, set.TestTransform.Height, testResize ?? set.TestTransform.Height);
            if (!json) Console.Error.WriteLine($"note: preprocessing: {preprocessing}");
            if (trained.Config.UntrainedClassifier)
                Console.Error.WriteLine("note: this checkpoint has no trained classifier (an imported feature extractor): its errors are those of a random head.");
            if (set.Test.ClassNames.Count != model.Spec.Classes)
                Console.Error.WriteLine($"note: the network has {model.Spec.Classes} classes but {set.Description} has {set.Test.ClassNames.Count}; labels are compared by index, so the error is not meaningful unless the classes correspond.");
            var crop = set.TestTransform.Height;
            var channelsLast = parse.GetValue(precision) != Models.Precision.Fp32 && ChannelsLast.TryApply(model, crop, Devices.Parse(parse.GetValue(device))).Switched;
            var chosen = PrecisionPolicy.For(parse.GetValue(precision), model.Spec, training: false, parse.GetValue(batch), crop, channelsLast, Devices.Parse(parse.GetValue(device)));
            model.Precision = chosen.Precision;
            // fp32 on a CPU runs through ONNX Runtime on the exported graph (faster than libtorch at every batch measured)
            using var onnx = chosen.Precision == Models.Precision.Fp32 && Devices.Parse(parse.GetValue(device)).type == TorchSharp.DeviceType.CPU
                ? new Inference.OnnxRuntimeNetwork(model)
                : null;
            if (!json && parse.GetValue(precision) != Models.Precision.Fp32)
                Console.Error.WriteLine($"note: precision: {chosen}{(onnx is null ? "" : "; run by ONNX Runtime on the exported graph")}");
            EvaluationResult result;
            switch (parse.GetValue(protocol))
            {
                case "multi-scale":
                    var sides = parse.GetValue(scales) is { } s
                        ? s.Split(',').Select(v => int.Parse(v.Trim())).ToArray()
                        : MultiScale.PaperScales.Select(v => (int)Math.Round(v * crop / 224.0)).ToArray();
                    result = Run(json, "multi-scale", p => Evaluator.EvaluateMultiScale(model, set.Test, set.Normalization, sides, p));
                    break;
                default:
                    var single = set.TestTransform is OriginalImage ? "original image" : "centre crop";
                    var (view, name) = parse.GetValue(protocol) switch
                    {
                        "10-crop" => ((IImageTransform)new TenCrop(crop, crop <= 64 ? crop + crop / 8 : (int)Math.Round(crop * 256 / 224.0)),
                            "10-crop (4 corners + centre, and flips)"),
                        "flip" => (new FlipViews(set.TestTransform), $"flip-averaged ({single} and its mirror)"),
                        _ => (set.TestTransform, $"single view ({single})"),
                    };
                    var loader = new DataLoader(set.Test, view, new DataLoaderOptions
                    {
                        BatchSize = Math.Max(1, parse.GetValue(batch) / view.Views),
                        Shuffle = false,
                        Workers = parse.GetValue(workers),
                        Normalization = set.Normalization,
                    });
                    result = Run(json, name, p => Evaluator.Evaluate(model, loader, name, p, logits: onnx is null ? null : onnx.Logits));
                    break;
            }
            if (json)
            {
                CommonOptions.WriteJson(new { checkpoint = path, network = model.Spec.Name, data = set.Description, result });
                return 0;
            }
            AnsiConsole.MarkupLine($"[bold]{Markup.Escape(model.Spec.Name)}[/] from {Markup.Escape(path)} on {Markup.Escape(set.Description)}");
            AnsiConsole.MarkupLine($"protocol: {Markup.Escape(result.Protocol)}, {result.Samples:N0} images");
            AnsiConsole.MarkupLine($"top-1 error [bold]{result.Top1Error * 100:0.00}%[/]   top-5 error [bold]{result.Top5Error * 100:0.00}%[/]");
            if (result.ClassNames.Count <= 20)
            {
                var table = new Table().Border(TableBorder.Rounded).AddColumn("true \\ predicted");
                foreach (var c in result.ClassNames) table.AddColumn(new TableColumn(Markup.Escape(c[..Math.Min(5, c.Length)])).RightAligned());
                table.AddColumn(new TableColumn("accuracy").RightAligned());
                for (var r = 0; r < result.ClassNames.Count; r++)
                    table.AddRow([Markup.Escape(result.ClassNames[r]), .. result.Confusion[r].Select(v => v.ToString()), $"{result.PerClassAccuracy[r] * 100:0.0}%"]);
                AnsiConsole.Write(table);
            }
            return 0;
        }));
        return command;
    }

    static EvaluationResult Run(bool quiet, string what, Func<Action<int, int>?, EvaluationResult> evaluate)
    {
        if (quiet || !AnsiConsole.Profile.Capabilities.Interactive) return evaluate(null);
        EvaluationResult? result = null;
        AnsiConsole.Progress().Start(ctx =>
        {
            var task = ctx.AddTask($"evaluating ({what})");
            result = evaluate((done, total) =>
            {
                task.MaxValue = total;
                task.Value = done;
            });
        });
        return result!;
    }
}
