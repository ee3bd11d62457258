using System.CommandLine;
using ResNetSharp.Data;
using ResNetSharp.Interop;
using ResNetSharp.Training;
using Spectre.Console;

namespace ResNetSharp.Cli.Commands;

/// <summary>
/// <c>resnet import model.onnx --out model.ckpt [--classes names.txt]</c>: reads a ResNet-like ONNX graph made by any
/// tool into our network and writes a checkpoint that predict, eval, export and <c>train --from</c> take.
/// </summary>
static class ImportCommand
{
    public static Command Create()
    {
        var model = new Argument<string>("model") { Description = "ONNX file of a ResNet-like network (ours or another tool's)." };
        var output = new Option<string?>("--out") { Description = "Checkpoint to write (default: the model's name with .ckpt)." };
        var classes = new Option<string?>("--classes") { Description = "Text file with one class name per line (default: the names in the model's metadata, else 0…N-1)." };
        var command = new Command("import", "Read a ResNet-like ONNX model into our network (blocks, widths, shortcuts inferred) and save it as a checkpoint.")
        {
            model, output, classes, CommonOptions.Json,
        };
        command.SetAction(parse => CommonOptions.Run(parse, () =>
        {
            var source = parse.GetValue(model)!;
            var imported = OnnxImport.Load(source);
            using var net = imported.Network;
            var names = parse.GetValue(classes) is { } file ? ReadClassNames(file, imported.Spec.Classes) : imported.EffectiveClassNames;
            var pre = imported.EffectivePreprocessing;
            var target = parse.GetValue(output) ?? Path.ChangeExtension(source, ".ckpt");
            var config = new TrainingConfig
            {
                Recipe = "imported",
                Model = imported.Spec.Name,
                Classes = imported.Spec.Classes,
                Data = Path.GetFullPath(source),
                CropSize = pre.InputSize,
                Normalization = "per-channel",
                Iterations = 1,
                Milestones = [],
            };
            Checkpoint.Save(target, net, null, config, names, pre.ToNormalization(), new TrainingProgress());

            var notes = imported.Notes.ToList();
            if (imported.Preprocessing is null) notes.Add($"no preprocessing in the model's metadata: assumed mean [{string.Join(", ", pre.Mean)}], std [{string.Join(", ", pre.Std)}] at {pre.InputSize}px");
            if (!imported.OutputIsLogits) notes.Add($"the graph ends at the pooled features ('{imported.OutputName}'): the classifier is untrained; fine-tune with 'resnet train --from {target}'");
            if (parse.GetValue(CommonOptions.Json))
            {
                CommonOptions.WriteJson(new { Source = source, Checkpoint = target, imported.Spec, imported.OutputName, imported.OutputIsLogits, Preprocessing = pre, Classes = names, Notes = notes });
                return 0;
            }
            AnsiConsole.MarkupLine($"imported [bold]{Markup.Escape(source)}[/]: {Markup.Escape(imported.Spec.ToString())}");
            foreach (var note in notes) AnsiConsole.MarkupLine($"  [grey]{Markup.Escape(note)}[/]");
            AnsiConsole.MarkupLine($"wrote [bold]{Markup.Escape(target)}[/] (use it with predict, eval, export or train --from)");
            return 0;
        }));
        return command;
    }

    static string[] ReadClassNames(string file, int classes)
    {
        if (!File.Exists(file)) throw new FileNotFoundException($"No class-name file at '{file}'.", file);
        var names = File.ReadAllLines(file).Select(l => l.Trim()).Where(l => l.Length > 0).ToArray();
        return names.Length == classes
            ? names
            : throw new ArgumentException($"'{file}' has {names.Length} class names but the network has {classes} outputs; give one name per line.");
    }
}
