using ResNetSharp.Data;
using ResNetSharp.Models;
using static TorchSharp.torch;

namespace ResNetSharp.Evaluation;

/// <summary>
/// Errors of one evaluation, with the protocol that produced them (single view, 10-crop, multi-scale).
/// Errors are fractions in [0, 1]; <see cref="Confusion"/>[true][predicted] counts samples.
/// </summary>
public sealed record EvaluationResult(
    string Protocol,
    int Samples,
    double Top1Error,
    double Top5Error,
    IReadOnlyList<string> ClassNames,
    IReadOnlyList<double> PerClassAccuracy,
    IReadOnlyList<long[]> Confusion);

/// <summary>Thrown when a network's outputs are NaN or infinite: its weights or BN statistics diverged.</summary>
public sealed class NonFiniteOutputException(string message) : Exception(message);

/// <summary>
/// Evaluates a network the way the paper tests (section 3.4, "Testing"): BN uses running statistics,
/// no gradients, class scores (softmax) averaged over the views of each image.
/// </summary>
public static class Evaluator
{
    /// <summary>
    /// Evaluates over every batch of <paramref name="loader"/> (epoch 0, unshuffled loaders give the data set
    /// order); a batch of N images with V views each holds N·V images, view-major per image. <paramref name="logits"/>
    /// replaces the network's own forward (e.g. ONNX Runtime running its exported graph).
    /// </summary>
    public static EvaluationResult Evaluate(ResNet model, DataLoader loader, string protocol = "single view",
        Action<int, int>? progress = null, CancellationToken cancel = default, Func<Tensor, Tensor>? logits = null)
    {
        var forward = logits ?? model.call;
        var tally = new Tally(loader.ClassNames, model.Spec.Classes);
        var device = model.parameters().First().device;
        return InEvaluationMode(model, () =>
        {
            var done = 0;
            foreach (var batch in loader.Epoch(0))
            {
                using (batch)
                using (var scope = NewDisposeScope())
                {
                    cancel.ThrowIfCancellationRequested();
                    var n = batch.Count;
                    var output = forward(batch.Images.to(device));
                    if (!output.isfinite().all().item<bool>()) throw NonFinite(done + 1, loader.BatchesPerEpoch);
                    var scores = output.softmax(1).reshape(n, batch.Views, -1).mean([1]);
                    tally.Add(scores, batch.Labels);
                }
                progress?.Invoke(++done, loader.BatchesPerEpoch);
            }
            return tally.Result(protocol);
        });
    }

    /// <summary>
    /// The paper's fully-convolutional multi-scale test: each whole image resized to every shorter side in
    /// <paramref name="scales"/>, run through the network at that size, class scores averaged over scales.
    /// </summary>
    public static EvaluationResult EvaluateMultiScale(ResNet model, IImageDataset data, Normalization normalization,
        IReadOnlyList<int>? scales = null, Action<int, int>? progress = null, CancellationToken cancel = default)
    {
        scales ??= MultiScale.PaperScales;
        var tally = new Tally(data.ClassNames, model.Spec.Classes);
        var device = model.parameters().First().device;
        return InEvaluationMode(model, () =>
        {
            for (var i = 0; i < data.Count; i++)
            {
                cancel.ThrowIfCancellationRequested();
                using var scope = NewDisposeScope();
                var sum = zeros(1, model.Spec.Classes, device: device);
                foreach (var (_, view) in MultiScale.Views(data.Image(i), scales))
                    sum.add_(model.call(MultiScale.ToTensor(view, normalization).to(device)).softmax(1));
                if (!sum.isfinite().all().item<bool>()) throw NonFinite(i + 1, data.Count);
                tally.Add(sum / scales.Count, tensor(new long[] { data.Label(i) }));
                progress?.Invoke(i + 1, data.Count);
            }
            return tally.Result($"multi-scale fully-convolutional {{{string.Join(", ", scales)}}}");
        });
    }

    /// <summary>A network whose outputs are NaN would read as a 90% error on CIFAR-10: refuse it instead.</summary>
    internal static NonFiniteOutputException NonFinite(int batch, int of) => new(
        $"The network gives NaN or infinite outputs (batch {batch} of {of}): its weights or BN statistics diverged in training. " +
        "Use an earlier checkpoint, or retrain with a lower learning rate or warm-up.");

    /// <summary>Runs <paramref name="evaluate"/> with BN on running statistics and no gradients, then restores the mode.</summary>
    static EvaluationResult InEvaluationMode(ResNet model, Func<EvaluationResult> evaluate)
    {
        var wasTraining = model.training;
        model.eval();
        try
        {
            using var noGrad = no_grad();
            return evaluate();
        }
        finally
        {
            model.train(wasTraining);
        }
    }

    /// <summary>Running counts of correct top-1/top-5 predictions and the confusion matrix.</summary>
    sealed class Tally(IReadOnlyList<string> classNames, int classes)
    {
        readonly long[][] confusion = Enumerable.Range(0, classes).Select(_ => new long[classes]).ToArray();
        long samples, top1, top5;

        public void Add(Tensor scores, Tensor labels)
        {
            var k = Math.Min(5, classes);
            using var top = scores.topk(k, dim: 1).indexes.cpu();
            var predicted = top.data<long>().ToArray();
            var truth = labels.cpu().data<long>().ToArray();
            for (var i = 0; i < truth.Length; i++)
            {
                var row = predicted.AsSpan(i * k, k);
                if (row[0] == truth[i]) top1++;
                if (row.Contains(truth[i])) top5++;
                if (truth[i] >= 0 && truth[i] < classes) confusion[truth[i]][row[0]]++;
            }
            samples += truth.Length;
        }

        public EvaluationResult Result(string protocol)
        {
            if (samples == 0) throw new InvalidOperationException("Nothing was evaluated: the data set is empty.");
            var perClass = confusion.Select((row, c) => row.Sum() == 0 ? double.NaN : row[c] / (double)row.Sum()).ToArray();
            var names = classNames.Count == classes ? classNames : Enumerable.Range(0, classes).Select(c => $"class {c}").ToArray();
            return new EvaluationResult(protocol, (int)samples, 1 - top1 / (double)samples, 1 - top5 / (double)samples, names, perClass, confusion);
        }
    }
}
