using System.CommandLine;
using ResNetSharp.Interop;
using ResNetSharp.Models;

namespace ResNetSharp.Cli.Commands;

/// <summary><c>resnet export &lt;name&gt; --out model.onnx [--weights w.safetensors] [--fold-bn] [--opset 13] [--input 224]</c>.</summary>
static class ExportCommand
{
    public static Command Create()
    {
        var name = new Argument<string?>("name") { Description = "A trained checkpoint (.ckpt or run folder), or a network name, e.g. resnet50, resnet56 (see 'resnet models'); none with --pretrained.", Arity = ArgumentArity.ZeroOrOne };
        var pretrained = PretrainedOption.Create();
        var output = new Option<string>("--out") { Description = "ONNX file to write.", Required = true };
        var weights = new Option<string?>("--weights") { Description = "Weights (safetensors or PyTorch .pth state dict) to load; default: random He initialisation." };
        var classes = new Option<int?>("--classes") { Description = "Classifier outputs (default: the network's)." };
        var fold = new Option<bool>("--fold-bn") { Description = "Fold each conv+BN pair into one convolution." };
        var opset = new Option<int>("--opset") { Description = "ONNX opset, 13 to 21.", DefaultValueFactory = _ => 13 };
        var input = new Option<int?>("--input") { Description = "Fixed input side length (default: symbolic height and width)." };
        var partial = new Option<bool>("--allow-partial-weights") { Description = "Export even when --weights lacks some of the network's tensors (they keep their random initialisation)." };
        var command = new Command("export", "Write a network as an ONNX model (standard operators, dynamic batch, preprocessing in metadata).")
        {
            name, pretrained, output, weights, classes, fold, opset, input, partial,
        };
        command.SetAction(parse => CommonOptions.Run(parse, () =>
        {
            var source = parse.GetValue(name);
            var released = parse.GetValue(pretrained);
            if (released is not null || (source is not null && (File.Exists(source) || Directory.Exists(source))))
            {
                // A trained checkpoint or a release carries its classes and normalisation: both go into the model's metadata.
                using var network = PretrainedOption.Open(source, released);
                var (trained, checkpointPath) = (network.Model, network.Source);
                trained.eval();
                // a per-pixel mean goes into the graph (OnnxExport), so the export computes what the checkpoint computes
                var preprocessing = network.Preprocessing;
                var target = parse.GetValue(output)!;
                OnnxExport.Save(trained, target, new OnnxExportOptions
                {
                    FoldBatchNorm = parse.GetValue(fold),
                    Opset = parse.GetValue(opset),
                    InputSize = parse.GetValue(input),
                    Preprocessing = preprocessing,
                    ClassNames = network.ClassNames,
                });
                Console.WriteLine($"wrote {target} ({new FileInfo(target).Length / 1e6:0.0} MB) from {checkpointPath}: {trained.Spec}");
                Console.WriteLine($"preprocessing: {preprocessing}{(preprocessing.MeanHeight > 0 ? " (the mean image is subtracted inside the graph; feed it pixels)" : "")}");
                if (!network.HasTrainedClassifier)
                    Console.Error.WriteLine("note: this checkpoint's classifier is untrained (an imported feature extractor): its 'logits' output is meaningless; use 'features'.");
                return 0;
            }
            if (source is null) throw new ArgumentException("Give a checkpoint, a run folder or a network name to export, or --pretrained <name>.");
            using var net = ModelZoo.Create(source, parse.GetValue(classes));
            if (parse.GetValue(weights) is { } path)
            {
                var report = WeightFiles.Load(net, path);
                var missing = report.Missing.Where(k => !k.EndsWith("num_batches_tracked", StringComparison.Ordinal)).ToList();
                if (missing.Count > 0 && !parse.GetValue(partial))
                    throw new InvalidDataException($"{path} holds {report.Loaded} of the {report.Loaded + missing.Count} tensors {net.Spec.Name} needs (missing {string.Join(", ", missing.Take(3))}{(missing.Count > 3 ? ", …" : "")}); " +
                                                   "the ONNX file would hold random weights for the rest. Pass the right weights, or --allow-partial-weights to export anyway.");
                Console.WriteLine($"loaded {report.Loaded} tensors from {path}; missing {missing.Count}, unexpected {report.Unexpected.Count}");
                if (missing.Count > 0) Console.Error.WriteLine($"note: {string.Join(", ", missing.Take(5))}{(missing.Count > 5 ? ", ..." : "")} keep their random initialisation.");
            }
            else
            {
                Console.Error.WriteLine($"note: no --weights: {source} is exported with random He-initialised weights; its outputs mean nothing until trained.");
            }
            net.eval();
            var file = parse.GetValue(output)!;
            OnnxExport.Save(net, file, new OnnxExportOptions { FoldBatchNorm = parse.GetValue(fold), Opset = parse.GetValue(opset), InputSize = parse.GetValue(input) });
            Console.WriteLine($"wrote {file} ({new FileInfo(file).Length / 1e6:0.0} MB): {net.Spec}");
            return 0;
        }));
        return command;
    }
}
