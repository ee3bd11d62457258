using ResNetSharp.Data;
using ResNetSharp.Models;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace ResNetSharp.Analysis;

/// <summary>
/// Standard deviation of every 3x3 layer's response (Fig. 7): the layer's output after BN, before the ReLU and
/// before the addition, over all elements of all samples seen. <see cref="Layers"/> and <see cref="Stds"/> are in
/// network order.
/// </summary>
public sealed record LayerResponseStd(IReadOnlyList<string> Layers, IReadOnlyList<double> Stds)
{
    /// <summary>The stds from largest to smallest (Fig. 7 bottom).</summary>
    public IReadOnlyList<double> Sorted => [.. Stds.OrderByDescending(s => s)];

    /// <summary>The mean over layers, a one-number summary for comparing nets.</summary>
    public double Mean => Stds.Count == 0 ? double.NaN : Stds.Average();

    /// <summary>The spread of <see cref="Mean"/>: the sample std over layers divided by √layers (0 for fewer than two layers).</summary>
    public double StandardError => Stds.Count < 2 ? 0 : Math.Sqrt(Stds.Sum(s => (s - Mean) * (s - Mean)) / (Stds.Count - 1) / Stds.Count);

    // basic units observe ".bn1" and ".bn2" (their two 3x3 layers); bottleneck units only ".bn2" (their one 3x3)
    bool TwoPerUnit => Layers.Any(l => l.EndsWith(".bn1", StringComparison.Ordinal));

    /// <summary>
    /// The first 3x3 layer of every unit (for bottleneck units, their only 3x3 layer). A zero-initialised last BN scale
    /// (<c>ZeroInitLast</c>) leaves these layers as they are.
    /// </summary>
    public LayerResponseStd FirstOfUnit => Where(l => !TwoPerUnit || l.EndsWith(".bn1", StringComparison.Ordinal));

    /// <summary>
    /// The second 3x3 layer of every basic unit (empty for bottleneck nets). A zero-initialised last BN scale starts these
    /// responses at 0, so on short schedules they stay small by construction, not by learning.
    /// </summary>
    public LayerResponseStd SecondOfUnit => TwoPerUnit ? Where(l => l.EndsWith(".bn2", StringComparison.Ordinal)) : new LayerResponseStd([], []);

    LayerResponseStd Where(Func<string, bool> keep)
    {
        var kept = Enumerable.Range(0, Layers.Count).Where(i => keep(Layers[i])).ToArray();
        return new LayerResponseStd([.. kept.Select(i => Layers[i])], [.. kept.Select(i => Stds[i])]);
    }
}

/// <summary>Measures <see cref="LayerResponseStd"/> of a trained network (section 4.2, "Analysis of Layer Responses").</summary>
public static class LayerResponses
{
    /// <summary>Runs <paramref name="model"/> over every batch of epoch 0 of <paramref name="loader"/> (use an unshuffled test loader).</summary>
    public static LayerResponseStd Measure(ResNet model, DataLoader loader) => Measure(model, Images(loader));

    /// <summary>
    /// Runs <paramref name="model"/> in eval mode under no_grad over <paramref name="images"/> (batches [N, 3, H, W], not
    /// disposed here) and returns each 3x3 layer's response std. Sums of x and x² are kept per layer in float64, so no
    /// response is held; the std is the population one (divides by the element count). The model's mode is
    /// restored and its hooks removed afterwards.
    /// </summary>
    /// <exception cref="ArgumentException">The network is pre-activation (no such point exists) or no batch was given.</exception>
    public static LayerResponseStd Measure(ResNet model, IEnumerable<Tensor> images)
    {
        if (model.Spec.PreActivation)
            throw new ArgumentException($"{model.Spec.Name} is a pre-activation net: its units have no BN output before an addition to measure (Fig. 7 is for post-activation nets).");
        if (model.Spec.HasUnitVariant)
            throw new ArgumentException($"{model.Spec.Name} is a unit variant of Identity Mappings: Fig. 7 measures the BN outputs of the original units.");
        var order = new List<string>();
        var sums = new Dictionary<string, (double Sum, double Squares, long Count)>();
        void Observe(string layer, Tensor response)
        {
            using var scope = NewDisposeScope();
            var x = response.to_type(ScalarType.Float64);
            var sum = x.sum().item<double>();
            var squares = x.square().sum().item<double>();
            if (!sums.TryGetValue(layer, out var s))
            {
                order.Add(layer);
                s = default;
            }
            sums[layer] = (s.Sum + sum, s.Squares + squares, s.Count + x.numel());
        }

        // a forward hook on the BN after each 3x3 convolution sees its output before the unit's ReLU or addition
        var modules = model.named_modules().ToDictionary(m => m.name, m => m.module);
        var hooks = model.Spec.Units()
            .SelectMany(u => (model.Spec.Block == BlockKind.Basic ? new[] { ".bn1", ".bn2" } : [".bn2"]).Select(bn => u.Path + bn))
            .Select(name => ((Module<Tensor, Tensor>)modules[name]).register_forward_hook((_, _, output) =>
            {
                Observe(name, output);
                return output;
            }))
            .ToList();
        var wasTraining = model.training;
        model.eval();
        try
        {
            using var noGrad = no_grad();
            var batches = 0;
            foreach (var batch in images)
            {
                using var scope = NewDisposeScope();
                model.call(batch);
                batches++;
            }
            if (batches == 0) throw new ArgumentException("No images were given to measure layer responses on.", nameof(images));
        }
        finally
        {
            foreach (var hook in hooks) hook.remove();
            model.train(wasTraining);
        }
        var stds = order.Select(l =>
        {
            var (sum, squares, count) = sums[l];
            var mean = sum / count;
            return Math.Sqrt(Math.Max(0, squares / count - mean * mean));
        }).ToArray();
        return new LayerResponseStd(order, stds);
    }

    static IEnumerable<Tensor> Images(DataLoader loader)
    {
        foreach (var batch in loader.Epoch(0))
        {
            using (batch) yield return batch.Images;
        }
    }
}
