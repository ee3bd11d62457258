using ResNetSharp.Models;
using TorchSharp.Modules;

namespace ResNetSharp.Training;

/// <summary>
/// Starting a run from trained weights: load them into the network (a checkpoint, or a safetensors /
/// PyTorch state dict), replace the classifier when the number of classes differs, and freeze what the
/// configuration says — the first k stages (with the stem) and/or every BN's statistics, as the paper
/// does for detection (section 4.3, "BN layers are fixed").
/// </summary>
public static class FineTuning
{
    /// <summary>Loads <paramref name="path"/> into <paramref name="model"/> (all but the classifier when its shape differs); returns a summary line.</summary>
    public static string LoadInto(ResNet model, string path)
    {
        using var source = ModelFile.Open(path);
        var (file, state) = (source.Path, source.Weights);
        var own = model.state_dict();
        var headDiffers = !state.TryGetValue("fc.weight", out var fc) || !fc.shape.SequenceEqual(own["fc.weight"].shape);
        var body = state.Where(p => !(headDiffers && p.Key.StartsWith("fc.", StringComparison.Ordinal)))
            .ToDictionary(p => p.Key, p => p.Value);
        foreach (var (key, value) in body)
        {
            if (!own.TryGetValue(key, out var mine))
                throw new InvalidDataException($"'{file}' has '{key}', which {model.Spec.Name} does not; start from weights of the same network.");
            if (!mine.shape.SequenceEqual(value.shape))
                throw new InvalidDataException($"'{key}' is [{string.Join(",", value.shape)}] in '{file}' but [{string.Join(",", mine.shape)}] in {model.Spec.Name}.");
        }
        model.load_state_dict(body, strict: false);
        return $"started from {file}: {body.Count} tensors" + (headDiffers ? $", new {model.Spec.Classes}-class classifier" : "");
    }

    /// <summary>Stops gradients to the stem and the first <paramref name="stages"/> stages.</summary>
    public static void FreezeStages(ResNet model, int stages)
    {
        if (stages < 0 || stages > model.Spec.BlocksPerStage.Count)
            throw new ArgumentOutOfRangeException(nameof(stages), stages, $"{model.Spec.Name} has {model.Spec.BlocksPerStage.Count} stages.");
        if (stages == 0) return;
        var frozen = new[] { "conv1.", "bn1." }.Concat(Enumerable.Range(1, stages).Select(s => $"layer{s}.")).ToArray();
        foreach (var (name, p) in model.named_parameters())
            if (frozen.Any(f => name.StartsWith(f, StringComparison.Ordinal))) p.requires_grad = false;
    }

    /// <summary>Puts every BN in evaluation mode (running statistics used and kept); call after each <c>model.train()</c>.</summary>
    public static void FreezeNormStatistics(ResNet model)
    {
        foreach (var bn in model.modules().OfType<BatchNorm2d>()) bn.eval();
    }
}
