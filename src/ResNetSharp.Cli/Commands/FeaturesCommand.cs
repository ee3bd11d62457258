using System.CommandLine;
using System.Globalization;
using ResNetSharp.Inference;
using ResNetSharp.Runtime;
using ResNetSharp.Training;

namespace ResNetSharp.Cli.Commands;

/// <summary>
/// <c>resnet features &lt;checkpoint|model.onnx&gt; &lt;images or folders…&gt; --out f.npy|f.csv [--nearest k]</c>: pooled
/// features of each image (what a feature extractor without a trained classifier can do), and nearest neighbours by cosine.
/// </summary>
static class FeaturesCommand
{
    public static Command Create()
    {
        var checkpoint = new Argument<string>("checkpoint") { Description = "A .ckpt file, a run folder, or an ONNX ResNet (with or without a classifier)." };
        var images = new Argument<string[]>("images") { Description = "Image files or folders.", Arity = ArgumentArity.OneOrMore };
        var output = new Option<string?>("--out") { Description = "Write the features: .npy (float32 [N, D]; file order in <out>.txt) or .csv (path, then D values)." };
        var nearest = new Option<int>("--nearest") { Description = "For each image, print its k nearest other images by cosine similarity.", DefaultValueFactory = _ => 0 };
        var device = new Option<string>("--device") { Description = "cpu, cuda or auto.", DefaultValueFactory = _ => "cpu" };
        var precision = CommonOptions.Precision();
        var command = new Command("features", "Write the pooled features of images (.npy or .csv) and find nearest neighbours; works for networks without a trained classifier.")
        {
            checkpoint, images, output, nearest, device, precision,
        };
        command.SetAction(parse => CommonOptions.Run(parse, () =>
        {
            var inputs = parse.GetValue(images)!;
            foreach (var missing in inputs.Where(p => !File.Exists(p) && !Directory.Exists(p)))
                throw new FileNotFoundException($"No image or folder at '{missing}'.", missing);
            var k = parse.GetValue(nearest);
            if (k < 0) throw new ArgumentException("--nearest must be 0 or more.");
            var target = parse.GetValue(output);
            if (target is not null && !target.EndsWith(".npy", StringComparison.OrdinalIgnoreCase) && !target.EndsWith(".csv", StringComparison.OrdinalIgnoreCase))
                throw new ArgumentException($"--out '{target}' must end in .npy or .csv.");
            using var file = ModelFile.Open(parse.GetValue(checkpoint)!);
            using var classifier = file.CreateClassifier(Devices.Parse(parse.GetValue(device)!));
            Console.Error.WriteLine($"note: preprocessing: {classifier.Preprocessing}");
            var chosen = classifier.UsePrecision(parse.GetValue(precision), fp32Engine: n => new Interop.OnnxRuntimeNetwork(n));
            if (parse.GetValue(precision) != Models.Precision.Fp32) Console.Error.WriteLine($"note: precision: {chosen}");
            var all = classifier.FeaturesOfFiles(inputs);
            foreach (var bad in all.Where(f => f.Error is not null)) Console.Error.WriteLine($"unreadable: {bad.Source}: {bad.Error}");
            var good = all.Where(f => f.Error is null).ToList();
            if (good.Count == 0) throw new InvalidDataException("None of the images could be read.");
            if (target is not null)
            {
                if (target.EndsWith(".npy", StringComparison.OrdinalIgnoreCase))
                {
                    FeatureFiles.WriteNpy(target, good.Select(f => f.Features).ToArray());
                    File.WriteAllLines(target + ".txt", good.Select(f => f.Source));
                }
                else
                {
                    FeatureFiles.WriteCsv(target, good.Select(f => (f.Source, f.Features)).ToArray());
                }
                Console.WriteLine($"wrote {good.Count} x {good[0].Features.Length} features to {target}");
            }
            if (k > 0)
            {
                var neighbours = FeatureFiles.Nearest(good.Select(f => f.Features).ToArray(), k);
                for (var i = 0; i < good.Count; i++)
                    Console.WriteLine($"{good[i].Source}: " + string.Join(", ", neighbours[i].Select(n => $"{good[n.Index].Source} ({n.Cosine.ToString("0.000", CultureInfo.InvariantCulture)})")));
            }
            if (target is null && k == 0) Console.Error.WriteLine("note: give --out f.npy|f.csv to save the features, or --nearest k to list neighbours.");
            return good.Count == all.Count ? 0 : 2;
        }));
        return command;
    }
}
