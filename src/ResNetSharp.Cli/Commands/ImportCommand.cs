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
        var preprocess = new Option<string?>("--preprocess") { Description = "The model's separate preprocessing graph (.onnx: channel swap, minus constants or a mean image), e.g. ML.NET's ResNetPreprocess.onnx." };
        var mean = new Option<string?>("--mean") { Description = "Per-channel mean in the network's channel order and pixel range, e.g. 0.485,0.456,0.406." };
        var std = new Option<string?>("--std") { Description = "Per-channel standard deviation, e.g. 0.229,0.224,0.225 (1,1,1 for none)." };
        var order = new Option<string?>("--channel-order") { Description = "rgb or bgr: the channel order the network reads." };
        order.AcceptOnlyFromAmong("rgb", "bgr");
        var range = new Option<float?>("--pixel-range") { Description = "Pixels are scaled to [0, range] before the mean: 1 (torchvision) or 255 (raw bytes; Caffe, CNTK)." };
        var resize = new Option<int?>("--resize") { Description = "Shorter side photos are resized to before the centre crop (torchvision: 256 for 224)." };
        var command = new Command("import", "Read a ResNet-like ONNX model into our network (blocks, widths, shortcuts inferred) and save it as a checkpoint.")
        {
            model, output, classes, preprocess, mean, std, order, range, resize, CommonOptions.Json,
        };
        command.SetAction(parse => CommonOptions.Run(parse, () =>
        {
            var source = parse.GetValue(model)!;
            var imported = OnnxImport.Load(source);
            using var net = imported.Network;
            var names = parse.GetValue(classes) is { } file ? ReadClassNames(file, imported.Spec.Classes) : imported.EffectiveClassNames;
            // preprocessing: the graph file, else the model's metadata, else the stem's convention; flags override each part
            var (pre, origin) = parse.GetValue(preprocess) is { } graphFile
                ? (OnnxImport.LoadPreprocessing(graphFile), $"from {graphFile}")
                : imported.Preprocessing is { } recorded ? (recorded, "from the model's metadata")
                : (imported.EffectivePreprocessing, "not recorded in the model: assumed the torchvision convention for this stem; give --preprocess or flags if it was trained otherwise");
            var overridden = new List<string>();
            if (parse.GetValue(order) is { } o)
            {
                pre = pre with { ChannelOrder = o == "bgr" ? ChannelOrder.Bgr : ChannelOrder.Rgb };
                overridden.Add("--channel-order");
            }
            if (parse.GetValue(range) is { } r)
            {
                pre = pre with { PixelRange = r };
                overridden.Add("--pixel-range");
            }
            if (parse.GetValue(mean) is { } m)
            {
                pre = pre with { Mean = Floats(m, "--mean"), MeanHeight = 0, MeanWidth = 0 };
                overridden.Add("--mean");
            }
            if (parse.GetValue(std) is { } d)
            {
                pre = pre with { Std = Floats(d, "--std") };
                overridden.Add("--std");
            }
            if (parse.GetValue(resize) is { } side)
            {
                pre = pre with { ResizeShorterSide = side };
                overridden.Add("--resize");
            }
            if (overridden.Count > 0) origin += $", with {string.Join(", ", overridden)} from the command line";
            pre.Validate();
            var target = parse.GetValue(output) ?? Path.ChangeExtension(source, ".ckpt");
            Checkpoint.SaveImported(target, net, names, pre.ToNormalization(), new ImportedModel(Path.GetFullPath(source), pre.InputSize, pre.EffectiveResize, imported.OutputIsLogits));

            var notes = imported.Notes.ToList();
            if (!imported.OutputIsLogits)
                notes.Add($"the graph ends at the pooled features ('{imported.OutputName}'): it has no trained classifier, so predict refuses it; " +
                          $"use 'resnet features {target} <images>' (features, nearest neighbours) or fine-tune a classifier with 'resnet train --from {target}'");
            if (parse.GetValue(CommonOptions.Json))
            {
                CommonOptions.WriteJson(new { Source = source, Checkpoint = target, imported.Spec, imported.OutputName, imported.OutputIsLogits, Preprocessing = pre.ToString(), PreprocessingSource = origin, Classes = names, Notes = notes });
                return 0;
            }
            AnsiConsole.MarkupLine($"imported [bold]{Markup.Escape(source)}[/]: {Markup.Escape(imported.Spec.ToString())}");
            AnsiConsole.MarkupLine($"preprocessing ({Markup.Escape(origin)}): {Markup.Escape(pre.ToString())}");
            foreach (var note in notes) AnsiConsole.MarkupLine($"  [grey]{Markup.Escape(note)}[/]");
            AnsiConsole.MarkupLine($"wrote [bold]{Markup.Escape(target)}[/] (use it with predict, eval, export or train --from)");
            return 0;
        }));
        return command;
    }

    static float[] Floats(string text, string option)
    {
        var parts = text.Split(',', StringSplitOptions.TrimEntries);
        var values = new float[parts.Length];
        for (var i = 0; i < parts.Length; i++)
            if (!float.TryParse(parts[i], System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out values[i]))
                throw new ArgumentException($"{option} '{text}' is not a list of numbers; give three, e.g. {option} 0.485,0.456,0.406.");
        return values.Length == 3 ? values : throw new ArgumentException($"{option} needs 3 values (one per channel); got {values.Length}.");
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
