using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using ResNetSharp.Training;

namespace ResNetSharp.Pretrained;

/// <summary>
/// The <c>resnet train</c> command that resolves to a given configuration: its recipe, then one flag per field
/// that differs from the recipe. A field that no flag sets makes the command <c>resnet train --config config.json</c>
/// with the resolved configuration, which is exact by construction.
/// </summary>
public static class TrainCommandLine
{
    /// <summary>Config fields (JSON names) and the <c>train</c> flags that set them.</summary>
    internal static IReadOnlyDictionary<string, string> Flags { get; } = new Dictionary<string, string>
    {
        ["model"] = "--model",
        ["data"] = "--data",
        ["dataDir"] = "--data-dir",
        ["iterations"] = "--iterations",
        ["batchSize"] = "--batch-size",
        ["learningRate"] = "--lr",
        ["momentum"] = "--momentum",
        ["weightDecay"] = "--weight-decay",
        ["schedule"] = "--schedule",
        ["warmupIterations"] = "--warmup",
        ["labelSmoothing"] = "--label-smoothing",
        ["augmentation"] = "--augmentation",
        ["normalization"] = "--normalization",
        ["cropSize"] = "--crop",
        ["progressiveMode"] = "--progressive-mode",
        ["seed"] = "--seed",
        ["workers"] = "--workers",
        ["device"] = "--device",
        ["evalEvery"] = "--eval-every",
        ["logEvery"] = "--log-every",
        ["from"] = "--from",
        ["freezeStages"] = "--freeze-stages",
        ["classes"] = "--classes",
        ["milestones"] = "--milestones",
        ["progressiveResize"] = "--progressive",
        // switches: the flag alone sets true
        ["nesterov"] = "--nesterov",
        ["validation"] = "--validation",
        ["zeroInitLast"] = "--zero-init",
        ["skipNonFinite"] = "--skip-non-finite",
        ["freezeNorm"] = "--freeze-bn",
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
            if (field == "decayNormAndBias" && value?.GetValue<bool>() == false)
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
                case JsonValueKind.Array when field == "milestones":
                    args.AddRange([flag, string.Join(",", value.AsArray().Select(m => m!.GetValue<int>()))]);
                    break;
                case JsonValueKind.Array when field == "progressiveResize":
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

    static IReadOnlyList<string> ConfigFile { get; } = ["train", "--config", "config.json"];
}
