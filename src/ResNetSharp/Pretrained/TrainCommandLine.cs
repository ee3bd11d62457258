using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using ResNetSharp.Runtime;
using ResNetSharp.Training;

namespace ResNetSharp.Pretrained;

/// <summary>
/// The <c>resnet train</c> command that resolves to a given configuration: its recipe, then one flag per field
/// that differs from the recipe. A field that no flag sets makes the command <c>resnet train --config config.json</c>
/// with the resolved configuration, which is exact by construction.
/// </summary>
public static class TrainCommandLine
{
    /// <summary>Config fields (by their JSON names, made from the property names) and the <c>train</c> flags that set them.</summary>
    internal static IReadOnlyDictionary<string, string> Flags { get; } = new Dictionary<string, string>
    {
        [Name(nameof(TrainingConfig.Model))] = "--model",
        [Name(nameof(TrainingConfig.Data))] = "--data",
        [Name(nameof(TrainingConfig.DataDir))] = "--data-dir",
        [Name(nameof(TrainingConfig.Iterations))] = "--iterations",
        [Name(nameof(TrainingConfig.BatchSize))] = "--batch-size",
        [Name(nameof(TrainingConfig.LearningRate))] = "--lr",
        [Name(nameof(TrainingConfig.Momentum))] = "--momentum",
        [Name(nameof(TrainingConfig.WeightDecay))] = "--weight-decay",
        [Name(nameof(TrainingConfig.Schedule))] = "--schedule",
        [Name(nameof(TrainingConfig.WarmupIterations))] = "--warmup",
        [Name(nameof(TrainingConfig.LabelSmoothing))] = "--label-smoothing",
        [Name(nameof(TrainingConfig.Augmentation))] = "--augmentation",
        [Name(nameof(TrainingConfig.Normalization))] = "--normalization",
        [Name(nameof(TrainingConfig.CropSize))] = "--crop",
        [Name(nameof(TrainingConfig.ProgressiveMode))] = "--progressive-mode",
        [Name(nameof(TrainingConfig.Seed))] = "--seed",
        [Name(nameof(TrainingConfig.Workers))] = "--workers",
        [Name(nameof(TrainingConfig.Device))] = "--device",
        [Name(nameof(TrainingConfig.EvalEvery))] = "--eval-every",
        [Name(nameof(TrainingConfig.LogEvery))] = "--log-every",
        [Name(nameof(TrainingConfig.From))] = "--from",
        [Name(nameof(TrainingConfig.FreezeStages))] = "--freeze-stages",
        [Name(nameof(TrainingConfig.Classes))] = "--classes",
        [Name(nameof(TrainingConfig.Milestones))] = "--milestones",
        [Name(nameof(TrainingConfig.ProgressiveResize))] = "--progressive",
        // switches: the flag alone sets true
        [Name(nameof(TrainingConfig.Nesterov))] = "--nesterov",
        [Name(nameof(TrainingConfig.Validation))] = "--validation",
        [Name(nameof(TrainingConfig.ZeroInitLast))] = "--zero-init",
        [Name(nameof(TrainingConfig.SkipNonFinite))] = "--skip-non-finite",
        [Name(nameof(TrainingConfig.FreezeNorm))] = "--freeze-bn",
    };

    /// <summary>The arguments after <c>resnet</c> (starting with "train") that resolve to <paramref name="config"/>.</summary>
    public static IReadOnlyList<string> Arguments(TrainingConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        var wanted = JsonSerializer.SerializeToNode(config, Checkpoint.Json)!.AsObject();
        if (!Recipes.All.TryGetValue(config.Recipe, out var recipe)) return ConfigFile;
        var start = JsonSerializer.SerializeToNode(recipe, Checkpoint.Json)!.AsObject();
        List<string> args = ["train", "--recipe", config.Recipe];
        foreach (var (field, value) in wanted)
        {
            if (JsonNode.DeepEquals(value, start[field])) continue;
            if (field == Name(nameof(TrainingConfig.DecayNormAndBias)) && value?.GetValue<bool>() == false)
            {
                args.Add("--no-decay-norm-bias");
                continue;
            }
            if (!Flags.TryGetValue(field, out var flag) || value is null) return ConfigFile;
            switch (value.GetValueKind())
            {
                case JsonValueKind.True:
                    args.Add(flag);
                    break;
                case JsonValueKind.False:
                    return ConfigFile; // a switch cannot turn a recipe's true off
                case JsonValueKind.Array when field == Name(nameof(TrainingConfig.Milestones)):
                    args.AddRange([flag, string.Join(",", value.AsArray().Select(m => m!.GetValue<int>()))]);
                    break;
                case JsonValueKind.Array when field == Name(nameof(TrainingConfig.ProgressiveResize)):
                    args.AddRange([flag, string.Join(",", config.ProgressiveResize.Select(p => $"{p.Side}:{p.Until.ToString("R", CultureInfo.InvariantCulture)}"))]);
                    break;
                case JsonValueKind.String:
                    args.AddRange([flag, value.GetValue<string>()]);
                    break;
                case JsonValueKind.Number:
                    args.AddRange([flag, value.ToJsonString()]);
                    break;
                default:
                    return ConfigFile;
            }
        }
        return args;
    }

    /// <summary>The command as one line for people (arguments with spaces or shell characters single-quoted).</summary>
    public static string Format(IReadOnlyList<string> arguments) =>
        "resnet " + string.Join(" ", arguments.Select(a => a.Length > 0 && a.All(c => char.IsAsciiLetterOrDigit(c) || "-_.,:/=+@".Contains(c)) ? a : $"'{a.Replace("'", "'\\''")}'"));

    /// <summary>The JSON name of a <see cref="TrainingConfig"/> property, as config.json and checkpoints write it.</summary>
    static string Name(string property) => ArtefactJson.Options.PropertyNamingPolicy!.ConvertName(property);

    static IReadOnlyList<string> ConfigFile { get; } = ["train", "--config", "config.json"];
}
