using System.CommandLine;
using ResNetSharp.Data;
using ResNetSharp.Models;
using ResNetSharp.Pretrained;
using ResNetSharp.Training;
using static TorchSharp.torch;

namespace ResNetSharp.Cli.Commands;

/// <summary>A trained network with what evaluating, predicting and exporting need, from a model file or a release.</summary>
sealed record TrainedNetwork(string Source, TrainingConfig? Config, Normalization Normalization, IReadOnlyList<string> ClassNames, ImagePreprocessing Preprocessing,
                             bool HasTrainedClassifier, ResNet Model, ImportedModel? Imported = null) : IDisposable
{
    public void Dispose() => Model.Dispose();
}

/// <summary><c>--pretrained &lt;name|folder&gt;</c> of predict, eval and export: a released network instead of a checkpoint.</summary>
static class PretrainedOption
{
    public static Option<string?> Create() => new("--pretrained")
    {
        Description = "A released network by name (e.g. resnet20-cifar10; see 'resnet models') or a release folder, instead of a checkpoint; its weights are checked against the SHA-256 of its model card.",
    };

    /// <summary>The network of a checkpoint (or run folder), or of a release when <paramref name="pretrained"/> is given; exactly one of the two.</summary>
    public static TrainedNetwork Open(string? checkpoint, string? pretrained, Device? device = null)
    {
        if (pretrained is not null)
        {
            if (checkpoint is not null) throw new ArgumentException($"Give a checkpoint ('{checkpoint}') or --pretrained {pretrained}, not both.");
            var released = PretrainedCatalog.Load(pretrained);
            // a CIFAR release is evaluated on the data set by name: the official binaries, or offline the embedded sample
            var data = released.Card.Dataset is "cifar10" or "cifar100" ? released.Card.Dataset : released.Card.Config.Data;
            var config = released.Card.Config with { Data = data, DataDir = null, Validation = false };
            return new TrainedNetwork($"pretrained {released.Name} ({released.WeightsPath})", config, released.Normalization, released.ClassNames,
                ImagePreprocessing.OfTrained(released.Normalization, released.InputSize, config.TestResize), HasTrainedClassifier: true, released.CreateNetwork(device));
        }
        if (checkpoint is null) throw new ArgumentException("Give a checkpoint (a .ckpt file or a run folder) or --pretrained <name> (see 'resnet models').");
        using var file = ModelFile.Open(checkpoint, note => Console.Error.WriteLine($"note: {note}"));
        return new TrainedNetwork(file.Path, file.Config, file.Normalization!, file.ClassNames!, file.Preprocessing!, file.HasTrainedClassifier, file.CreateNetwork(device), file.Imported);
    }
}
