using System.CommandLine;
using ResNetSharp.Data;
using ResNetSharp.Evaluation;
using ResNetSharp.Models;
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
        var protocol = new Option<string>("--protocol")
        {
            Description = string.Join(", ", EvaluationProtocol.All.Select(p => p.Help).SkipLast(1)) + " or " + EvaluationProtocol.All[^1].Help + ".",
            DefaultValueFactory = _ => EvaluationProtocol.Single.Name,
        };
        protocol.AcceptOnlyFromAmong([.. EvaluationProtocol.All.Select(p => p.Name)]);
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
            if (trained.Imported is { } imported && parse.GetValue(data) is null)
                throw new ArgumentException($"'{path}' was imported from {imported.Source} and has no data set of its own; give --data (an ImageFolder or a .tar.gz of one, or cifar10).");
            var trainedConfig = trained.Config ?? trained.Imported?.Evaluation(parse.GetValue(data)!, parse.GetValue(dataDir))
                ?? throw new ArgumentException($"'{path}' carries no training configuration to take the data set and its views from; import it first ('resnet import {path}') and evaluate the checkpoint.");
            var config = trainedConfig with
            {
                Data = parse.GetValue(data) ?? trainedConfig.Data,
                DataDir = parse.GetValue(dataDir) ?? trainedConfig.DataDir,
                Validation = parse.GetValue(data) is null && trainedConfig.Validation,
            };
            var set = TrainingData.Open(config, trained.Normalization, note => Console.Error.WriteLine($"note: {note}"));
            var json = parse.GetValue(CommonOptions.Json);
            var testResize = set.TestTransform is CenterCrop { ResizeShorterSide: { } side } ? side : (int?)null;
            var preprocessing = ImagePreprocessing.From(set.Normalization, set.TestTransform.Height, testResize ?? set.TestTransform.Height);
            if (!json) Console.Error.WriteLine($"note: preprocessing: {preprocessing}");
            if (!trained.HasTrainedClassifier)
                Console.Error.WriteLine("note: this checkpoint has no trained classifier (an imported feature extractor): its errors are those of a random head.");
            if (set.Test.ClassNames.Count != model.Spec.Classes)
                Console.Error.WriteLine($"note: the network has {model.Spec.Classes} classes but {set.Description} has {set.Test.ClassNames.Count}; labels are compared by index, so the error is not meaningful unless the classes correspond.");
            var crop = set.TestTransform.Height;
            var channelsLast = parse.GetValue(precision) != Models.Precision.Fp32 && ChannelsLast.TryApply(model, crop, Devices.Parse(parse.GetValue(device))).Switched;
            var computed = PrecisionPolicy.For(parse.GetValue(precision), model.Spec, training: false, parse.GetValue(batch), crop, channelsLast, Devices.Parse(parse.GetValue(device)), fp32Engine: n => new Interop.OnnxRuntimeNetwork(n));
            model.Precision = computed.Precision;
            var chosen = EvaluationProtocol.Parse(parse.GetValue(protocol)!);
            // fp32 on a CPU runs through ONNX Runtime on the exported graph (faster than libtorch at every batch measured); multi-scale stays on libtorch
            using var onnx = computed.Precision == Models.Precision.Fp32 && chosen != EvaluationProtocol.MultiScale
                && Devices.Parse(parse.GetValue(device)).type == TorchSharp.DeviceType.CPU
                ? new Interop.OnnxRuntimeNetwork(model)
                : null;
            if (!json && parse.GetValue(precision) != Models.Precision.Fp32)
                Console.Error.WriteLine($"note: precision: {computed}{(onnx is null ? "" : "; run by ONNX Runtime on the exported graph")}");
            var sides = parse.GetValue(scales) is { } given ? given.Split(',').Select(v => int.Parse(v.Trim())).ToArray() : null;
            var result = Run(json, chosen.ReportedName(set.TestTransform), p => chosen.Evaluate(model, set.Test, set.TestTransform, set.Normalization,
                parse.GetValue(batch), parse.GetValue(workers), sides, p, onnx is null ? null : onnx.Logits));
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
