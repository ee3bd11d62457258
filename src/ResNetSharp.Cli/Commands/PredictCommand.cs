using System.CommandLine;
using ResNetSharp.Pretrained;
using ResNetSharp.Runtime;
using ResNetSharp.Training;
using Spectre.Console;

namespace ResNetSharp.Cli.Commands;

/// <summary><c>resnet predict &lt;checkpoint|model.onnx&gt; &lt;images or folders…&gt;</c>: top-k classes with probabilities.</summary>
static class PredictCommand
{
    public static Command Create()
    {
        var checkpoint = new Argument<string>("checkpoint") { Description = "A .ckpt file, a run folder (its best.ckpt), or an ONNX ResNet (.onnx, e.g. from resnet export); with --pretrained, the first image." };
        var images = new Argument<string[]>("images") { Description = "Image files or folders.", Arity = ArgumentArity.ZeroOrMore };
        var pretrained = PretrainedOption.Create();
        var top = new Option<int>("--top") { Description = "Classes to show per image.", DefaultValueFactory = _ => 5 };
        var tenCrop = new Option<bool>("--ten-crop") { Description = "Average over 10 crops (corners, centre, flips)." };
        var device = new Option<string>("--device") { Description = "cpu, cuda or auto.", DefaultValueFactory = _ => "cpu" };
        var precision = CommonOptions.Precision();
        var command = new Command("predict", "Classify images with a trained network: top-k classes with probabilities; unreadable files are reported.")
        {
            checkpoint, images, pretrained, top, tenCrop, device, precision, CommonOptions.Json,
        };
        command.SetAction(parse => CommonOptions.Run(parse, () =>
        {
            var released = parse.GetValue(pretrained);
            var inputs = released is null ? parse.GetValue(images)! : [parse.GetValue(checkpoint)!, .. parse.GetValue(images)!];
            if (inputs.Length == 0) throw new ArgumentException("Give the images or folders to classify after the checkpoint.");
            // with --pretrained the first argument is an image, so a checkpoint there is a mistake, not a folder of images
            if (released is not null && ModelFile.KindOf(inputs[0]) is not null)
                throw new ArgumentException($"Give a checkpoint ('{inputs[0]}') or --pretrained {released}, not both.");
            foreach (var missing in inputs.Where(p => !File.Exists(p) && !Directory.Exists(p)))
                throw new FileNotFoundException($"No image or folder at '{missing}'.", missing);
            using var file = released is null ? ModelFile.Open(parse.GetValue(checkpoint)!, note => Console.Error.WriteLine($"note: {note}")) : null;
            var path = file?.Path ?? $"--pretrained {released}";
            using var classifier = file is not null
                ? file.CreateClassifier(Devices.Parse(parse.GetValue(device)!))
                : PretrainedCatalog.Load(released!).CreateClassifier(parse.GetValue(device)!);
            if (!classifier.HasTrainedClassifier)
                throw new InvalidDataException($"'{path}' has no trained classifier (a feature extractor, e.g. an imported one that ends at the pool). " +
                                               $"Use 'resnet features {path} <images>' for its features and nearest neighbours, or fine-tune a classifier with 'resnet train --from {path}'.");
            var chosen = classifier.UsePrecision(parse.GetValue(precision), Math.Min(32, inputs.Length), n => new Interop.OnnxRuntimeNetwork(n));
            if (!parse.GetValue(CommonOptions.Json)) Console.Error.WriteLine($"note: preprocessing: {classifier.Preprocessing}");
            if (!parse.GetValue(CommonOptions.Json) && parse.GetValue(precision) != Models.Precision.Fp32) Console.Error.WriteLine($"note: precision: {chosen}");
            var predictions = classifier.ClassifyFiles(inputs, parse.GetValue(top), parse.GetValue(tenCrop));
            if (parse.GetValue(CommonOptions.Json))
            {
                CommonOptions.WriteJson(predictions);
            }
            else
            {
                var table = new Table().Border(TableBorder.Rounded).AddColumns("image", "class", "probability");
                foreach (var p in predictions)
                {
                    if (p.Error is not null)
                    {
                        table.AddRow(Markup.Escape(p.Source), "[red]unreadable[/]", Markup.Escape(p.Error));
                        continue;
                    }
                    for (var i = 0; i < p.Top.Count; i++)
                        table.AddRow(i == 0 ? Markup.Escape(p.Source) : "", Markup.Escape(p.Top[i].Class), $"{p.Top[i].Probability * 100:0.0}%");
                }
                AnsiConsole.Write(table);
            }
            var failed = predictions.Count(p => p.Error is not null);
            if (failed > 0) Console.Error.WriteLine($"{failed} of {predictions.Count} images could not be read.");
            return failed == predictions.Count ? 2 : 0;
        }));
        return command;
    }
}
