using System.Reflection;
using System.Text.Json;
using System.Text.RegularExpressions;
using ResNetSharp.Data;
using ResNetSharp.Evaluation;
using ResNetSharp.Models;
using ResNetSharp.Reporting;
using ResNetSharp.Reproduce;
using ResNetSharp.Runtime;
using ResNetSharp.Training;

namespace ResNetSharp.Pretrained;

/// <summary>How <see cref="ModelRelease.Create"/> releases a run.</summary>
public sealed record ReleaseOptions
{
    /// <summary>Release name, e.g. "resnet20-cifar10" (lower case letters, digits, '-', '.', '_'); null makes "&lt;network&gt;-&lt;dataset&gt;".</summary>
    public string? Name { get; init; }

    /// <summary>The folder the release folder goes into (e.g. the repository's pretrained/).</summary>
    public required string OutputRoot { get; init; }

    /// <summary>Test data for the measured errors (cifar10, an ImageFolder or a .tar.gz of one); null uses the run's data.</summary>
    public string? Data { get; init; }

    /// <summary>Folder of the CIFAR binaries when <see cref="Data"/> is cifar10 or cifar100.</summary>
    public string? DataDir { get; init; }

    /// <summary>Markdown the model card shows under "Notes" (known gaps, data caveats); null for none.</summary>
    public string? Notes { get; init; }

    /// <summary>
    /// "latest" (default: the weights at the end of training, as the paper reports) or "best" (the lowest test error
    /// seen while training; chosen on the test set, so its error is optimistic).
    /// </summary>
    public string Checkpoint { get; init; } = "latest";

    /// <summary>Release a run that stopped before its last iteration.</summary>
    public bool AllowUnfinished { get; init; }

    /// <summary>Replace an existing release folder of the same name.</summary>
    public bool Overwrite { get; init; }

    /// <summary>Images per evaluation batch.</summary>
    public int BatchSize { get; init; } = 256;

    /// <summary>Data-loading threads.</summary>
    public int Workers { get; init; } = 2;

    /// <summary>Device of the evaluations.</summary>
    public string Device { get; init; } = "cpu";
}

/// <summary>
/// Turns a finished training run into a release folder that ships with the project: weights only (fp32, torchvision
/// names, BN running statistics, no momentum or RNG) with the description, classes and preprocessing in their metadata,
/// card.json and MODEL_CARD.md (network, recipe, the exact command, seed, iterations, test error single-view and
/// flip-averaged, accuracy on the embedded CIFAR-10 sample, preprocessing, classes, the weights' SHA-256), and the run's
/// config.json, metrics.csv and curve.png. Errors are measured with <see cref="Evaluator"/> as <c>resnet eval</c> measures them.
/// </summary>
public static class ModelRelease
{
    /// <summary>The people's model card inside a release folder.</summary>
    public const string MarkdownFile = "MODEL_CARD.md";

    /// <summary>
    /// Releases the run in <paramref name="runDirectory"/> into <see cref="ReleaseOptions.OutputRoot"/>/name; returns the card
    /// written. <paramref name="progress"/> gets (which evaluation, batches done, batches in all).
    /// </summary>
    public static ModelCard Create(string runDirectory, ReleaseOptions options, Action<string>? note = null, Action<string, int, int>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (!Directory.Exists(runDirectory))
            throw new DirectoryNotFoundException($"No run folder at '{runDirectory}'. Pass the folder 'resnet train --out' wrote (it holds config.json and latest.ckpt).");
        var checkpointFile = options.Checkpoint switch
        {
            "latest" => RunFolder.LatestFile,
            "best" => RunFolder.BestFile,
            _ => throw new ArgumentException($"Unknown checkpoint '{options.Checkpoint}'. Use latest (the end of training) or best."),
        };
        var checkpointPath = Path.Combine(runDirectory, checkpointFile);
        var metricsPath = Path.Combine(runDirectory, RunFolder.MetricsCsvFile);
        if (!File.Exists(checkpointPath)) throw new FileNotFoundException($"'{runDirectory}' has no {checkpointFile}; is it a finished run folder of 'resnet train'?", checkpointPath);
        if (!File.Exists(metricsPath)) throw new FileNotFoundException($"'{runDirectory}' has no {RunFolder.MetricsCsvFile}; is it a run folder of 'resnet train'?", metricsPath);

        TorchRuntime.EnsureLoaded();
        using var checkpoint = Training.Checkpoint.Load(checkpointPath);
        var config = checkpoint.Config;
        if (checkpoint.Progress.Iteration < config.Iterations && !options.AllowUnfinished)
            throw new ArgumentException($"The run in '{runDirectory}' stopped at iteration {checkpoint.Progress.Iteration:N0} of {config.Iterations:N0}. " +
                                        $"Finish it (resnet train --resume {runDirectory}) or pass --allow-unfinished.");
        var dataset = DatasetName(config.Data, checkpoint.ClassNames);
        var name = (options.Name ?? $"{checkpoint.Spec.Name}-{dataset}").Trim().ToLowerInvariant();
        if (name.Length == 0 || !name.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c is '-' or '.' or '_'))
            throw new ArgumentException($"Release name '{name}' may hold only lower-case letters, digits, '-', '.' and '_' (e.g. resnet20-cifar10).");
        var target = Path.Combine(options.OutputRoot, name);
        if (Directory.Exists(target) && !options.Overwrite)
            throw new ArgumentException($"'{target}' exists already. Choose another --name or --out, or pass --force to replace it.");

        using var model = checkpoint.CreateModel(Devices.Parse(options.Device));
        var normalization = checkpoint.Normalization;
        var inputSize = checkpoint.InputSize;

        // the errors on the full test set, with the paper's single view and flip-averaged
        var testConfig = config with { Data = options.Data ?? config.Data, DataDir = options.Data is null ? config.DataDir : options.DataDir, Validation = false };
        var test = TrainingData.Open(testConfig, normalization, note);
        var single = Evaluate(model, test, flip: false, options, progress, "test set");
        var flipped = Evaluate(model, test, flip: true, options, progress, "test set");

        // the embedded sample, which every copy of ResNetSharp can check the weights against offline
        SampleAccuracy? sample = null;
        if (checkpoint.ClassNames.SequenceEqual(CifarBinary.Cifar10ClassNames) && inputSize == 32)
        {
            var sampleData = TrainingData.Open(config with { Data = EmbeddedSample.Unpack(), DataDir = null, Validation = false }, normalization, note);
            var result = Evaluate(model, sampleData, flip: false, options, progress, "embedded sample");
            sample = new SampleAccuracy(result.Protocol, result.Images, (int)Math.Round((1 - result.Top1Error) * result.Images));
        }
        else
        {
            note?.Invoke("the classes are not CIFAR-10's (or the input is not 32x32): the card has no accuracy on the embedded CIFAR-10 sample");
        }

        var staging = Path.Combine(options.OutputRoot, $".{name}.{Environment.ProcessId}.tmp");
        if (Directory.Exists(staging)) Directory.Delete(staging, recursive: true);
        Directory.CreateDirectory(staging);
        try
        {
            var weights = Path.Combine(staging, PretrainedModel.WeightsFile);
            var tensors = PretrainedModel.WriteWeights(weights, name, model, checkpoint.ClassNames, normalization, inputSize);
            // the card and its config.json name the data by file name: a path of this machine means nothing elsewhere
            var shipped = config with
            {
                Data = config.Data is { } d && Path.IsPathRooted(d) ? Path.GetFileName(Path.TrimEndingDirectorySeparator(d)) : config.Data,
                DataDir = config.DataDir is { } dd && Path.IsPathRooted(dd) ? null : config.DataDir,
            };
            File.WriteAllText(Path.Combine(staging, RunFolder.ConfigFile), JsonSerializer.Serialize(shipped, ModelCard.Json));
            File.Copy(metricsPath, Path.Combine(staging, RunFolder.MetricsCsvFile));
            var curve = CopyOrDrawCurve(runDirectory, Path.Combine(staging, RunFolder.CurveFile), checkpoint.Spec.Name, note);

            var arguments = TrainCommandLine.Arguments(shipped);
            var (parameters, _) = NetworkCost.Of(checkpoint.Spec);
            var perPixel = normalization.MeanHeight > 0;
            var card = new ModelCard
            {
                Name = name,
                Network = checkpoint.Spec.Name,
                Dataset = dataset,
                Description = checkpoint.Spec.ToString(),
                Parameters = parameters,
                Recipe = config.Recipe,
                Config = shipped,
                Notes = string.IsNullOrWhiteSpace(options.Notes) ? null : options.Notes.Trim(),
                Command = TrainCommandLine.Format(arguments),
                CommandArguments = arguments,
                Seed = config.Seed,
                Iterations = checkpoint.Progress.Iteration,
                Epochs = checkpoint.Progress.BatchesPerEpoch == 0 ? 0 : Math.Round(checkpoint.Progress.Iteration / (double)checkpoint.Progress.BatchesPerEpoch, 2),
                TrainingSeconds = Math.Round(checkpoint.Progress.Seconds, 1),
                Checkpoint = checkpointFile,
                SingleView = single,
                FlipAveraged = flipped,
                EvaluatedOnSample = test.IsEmbeddedSample || IsSampleFolder(testConfig.Data),
                PaperTop1Error = dataset == "cifar10" ? PaperNumbers.Table6.GetValueOrDefault(checkpoint.Spec.Name)?.Top1 : null,
                Sample = sample,
                Preprocessing = new CardPreprocessing(
                    "RGB", normalization.Scale, perPixel ? "per-pixel" : "per-channel",
                    perPixel ? [3, normalization.MeanHeight, normalization.MeanWidth] : [3],
                    [.. normalization.AveragedOverPixels().Mean.Select(m => MathF.Round(m, 6))], normalization.Std, inputSize,
                    test.TestTransform is OriginalImage ? $"original {inputSize}x{inputSize} image" : $"centre crop {inputSize}",
                    $"{PretrainedModel.WeightsFile} metadata 'normalization' (the full mean, {normalization.Mean.Count} values)"),
                Classes = checkpoint.ClassNames,
                Weights = new CardWeights(PretrainedModel.WeightsFile, new FileInfo(weights).Length, PretrainedModel.Sha256Of(weights), tensors),
                Files = [PretrainedModel.WeightsFile, MarkdownFile, RunFolder.ConfigFile, RunFolder.MetricsCsvFile, .. curve ? new[] { RunFolder.CurveFile } : []],
                Released = DateTime.UtcNow.ToString("yyyy-MM-ddTHH:mm:ssZ", System.Globalization.CultureInfo.InvariantCulture),
                Tool = "ResNetSharp " + (typeof(ModelRelease).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "?"),
            };
            File.WriteAllText(Path.Combine(staging, PretrainedModel.CardFile), card.ToJson());
            File.WriteAllText(Path.Combine(staging, MarkdownFile), ModelCardMarkdown.Write(card));
            if (Directory.Exists(target)) Directory.Delete(target, recursive: true);
            Directory.Move(staging, target);
            return card;
        }
        finally
        {
            if (Directory.Exists(staging)) Directory.Delete(staging, recursive: true);
        }
    }

    /// <summary>Whether <paramref name="data"/> is the unpacked embedded sample (its folder, or the one top folder inside it).</summary>
    static bool IsSampleFolder(string data) =>
        Directory.Exists(data) && (Path.GetFullPath(data).TrimEnd('/') + "/").StartsWith(Path.GetFullPath(EmbeddedSample.Unpack()).TrimEnd('/') + "/", StringComparison.Ordinal);

    /// <summary>"cifar10"/"cifar100" for those data sets (by name or by their classes), else the data's file or folder name.</summary>
    static string DatasetName(string data, IReadOnlyList<string> classes)
    {
        var d = data.Trim().ToLowerInvariant();
        if (d is "cifar10" or "cifar100") return d;
        if (classes.SequenceEqual(CifarBinary.Cifar10ClassNames)) return "cifar10";
        var file = Path.GetFileName(data.TrimEnd('/', '\\'));
        foreach (var ext in new[] { ".tar.gz", ".tgz" })
            if (file.EndsWith(ext, StringComparison.OrdinalIgnoreCase)) file = file[..^ext.Length];
        return new string(file.ToLowerInvariant().Select(c => char.IsAsciiLetterOrDigit(c) ? c : '-').ToArray());
    }

    static CardEvaluation Evaluate(ResNet model, TrainingData data, bool flip, ReleaseOptions options, Action<string, int, int>? progress, string what)
    {
        var protocol = flip ? EvaluationProtocol.Flip : EvaluationProtocol.Single;
        var name = protocol.ReportedName(data.TestTransform);
        var result = protocol.Evaluate(model, data.Test, data.TestTransform, data.Normalization, options.BatchSize, options.Workers,
            progress: progress is null ? null : (done, total) => progress($"{what}, {name}", done, total));
        // "ImageFolder archive x.tar.gz (/root/.cache/...)": the cache path of this machine is left out
        var description = Regex.Replace(data.Description, @" \(/[^)]*\)", "");
        return new CardEvaluation(description, result.Protocol, result.Samples, result.Top1Error, result.Top5Error);
    }

    /// <summary>Copies the run's curve.png, or draws it from metrics.jsonl when the run has none; false when neither works.</summary>
    static bool CopyOrDrawCurve(string runDirectory, string destination, string title, Action<string>? note)
    {
        var curve = Path.Combine(runDirectory, RunFolder.CurveFile);
        if (File.Exists(curve))
        {
            File.Copy(curve, destination);
            return true;
        }
        var jsonl = Path.Combine(runDirectory, RunFolder.MetricsJsonFile);
        try
        {
            var rows = File.ReadLines(jsonl).Where(l => l.Length > 0).Select(l => JsonSerializer.Deserialize<MetricsRow>(l, Training.Checkpoint.Json)!).ToList();
            TrainingCurves.Write(destination, MetricsRow.Curve(rows), title);
            return true;
        }
        catch (Exception e) when (e is IOException or JsonException or ArgumentException or InvalidOperationException)
        {
            note?.Invoke($"the run has no curve.png and it could not be drawn ({e.Message}); the release has none");
            return false;
        }
    }
}
