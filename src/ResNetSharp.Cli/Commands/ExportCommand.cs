using System.CommandLine;
using ResNetSharp.Inference;
using ResNetSharp.Interop;
using ResNetSharp.Models;
using ResNetSharp.Training;

namespace ResNetSharp.Cli.Commands;

/// <summary><c>resnet export &lt;name&gt; --out model.onnx [--weights w.safetensors] [--fold-bn] [--opset 13] [--input 224]</c>.</summary>
static class ExportCommand
{
    public static Command Create()
    {
        var name = new Argument<string>("name") { Description = "A trained checkpoint (.ckpt or run folder), or a network name, e.g. resnet50, resnet56 (see 'resnet models')." };
        var output = new Option<string>("--out") { Description = "ONNX file to write.", Required = true };
        var weights = new Option<string?>("--weights") { Description = "Weights (safetensors or PyTorch .pth state dict) to load; default: random He initialisation." };
        var classes = new Option<int?>("--classes") { Description = "Classifier outputs (default: the network's)." };
        var fold = new Option<bool>("--fold-bn") { Description = "Fold each conv+BN pair into one convolution." };
        var opset = new Option<int>("--opset") { Description = "ONNX opset, 13 to 21.", DefaultValueFactory = _ => 13 };
        var input = new Option<int?>("--input") { Description = "Fixed input side length (default: symbolic height and width)." };
        var command = new Command("export", "Write a network as an ONNX model (standard operators, dynamic batch, preprocessing in metadata).")
        {
            name, output, weights, classes, fold, opset, input,
        };
        command.SetAction(parse => CommonOptions.Run(parse, () =>
        {
            var source = parse.GetValue(name)!;
            var checkpointPath = Checkpoint.Resolve(source);
            if (File.Exists(checkpointPath))
            {
                // A trained checkpoint carries its classes and normalisation: both go into the model's metadata.
                using var checkpoint = Checkpoint.Load(checkpointPath);
                using var trained = checkpoint.CreateModel();
                trained.eval();
                // a per-pixel mean goes into the graph (OnnxExport), so the export computes what the checkpoint computes
                var preprocessing = ImageClassifier.PreprocessingOf(checkpoint);
                var target = parse.GetValue(output)!;
                OnnxExport.Save(trained, target, new OnnxExportOptions
                {
                    FoldBatchNorm = parse.GetValue(fold),
                    Opset = parse.GetValue(opset),
                    InputSize = parse.GetValue(input),
                    Preprocessing = preprocessing,
                    ClassNames = checkpoint.ClassNames,
                });
                Console.WriteLine($"wrote {target} ({new FileInfo(target).Length / 1e6:0.0} MB) from {checkpointPath}: {trained.Spec}");
                Console.WriteLine($"preprocessing: {preprocessing}{(preprocessing.MeanHeight > 0 ? " (the mean image is subtracted inside the graph; feed it pixels)" : "")}");
                if (checkpoint.Config.UntrainedClassifier)
                    Console.Error.WriteLine("note: this checkpoint's classifier is untrained (an imported feature extractor): its 'logits' output is meaningless; use 'features'.");
                return 0;
            }
            using var net = ModelZoo.Create(source, parse.GetValue(classes));
            if (parse.GetValue(weights) is { } path)
            {
                var report = WeightFiles.Load(net, path);
                var missing = report.Missing.Where(k => !k.EndsWith("num_batches_tracked", StringComparison.Ordinal)).ToList();
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
