using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ResNetSharp.Models;

/// <summary>One layer of a summary: its path, kind, output shape for one image, parameters and multiply-adds.</summary>
public sealed record LayerRow(string Name, string Kind, IReadOnlyList<long> OutputShape, long Parameters, long MultiplyAdds);

/// <summary>One row of the paper's Table 1: a stage (conv1, conv2_x, ..., head) with its output shape and totals.</summary>
public sealed record StageRow(string Stage, IReadOnlyList<long> OutputShape, long Parameters, long MultiplyAdds);

/// <summary>
/// Per-layer and per-stage counts of a network at a given input size, measured on the built modules
/// by one forward pass of a single image. Multiply-adds count convolution and fully-connected layers,
/// as the paper's FLOPs row does (BN, ReLU, pooling and additions are not counted).
/// </summary>
public sealed record ModelSummary(NetworkSpec Spec, int InputSize, IReadOnlyList<LayerRow> Layers, IReadOnlyList<StageRow> Stages)
{
    /// <summary>All parameters of the network.</summary>
    public long Parameters => Layers.Sum(l => l.Parameters);

    /// <summary>All multiply-adds of one forward pass of one image.</summary>
    public long MultiplyAdds => Layers.Sum(l => l.MultiplyAdds);

    /// <summary>Summarises <paramref name="net"/> at <paramref name="inputSize"/> (default: the spec's canonical size).</summary>
    public static ModelSummary Of(ResNet net, int? inputSize = null)
    {
        var size = inputSize ?? net.Spec.InputSize;
        if (size < 1) throw new ArgumentOutOfRangeException(nameof(inputSize), size, "Input size must be positive.");
        var rows = new List<LayerRow>();
        var hooks = new List<Action>();
        foreach (var (name, module) in net.named_modules())
        {
            if (module is not nn.Module<Tensor, Tensor> leaf || module.named_children().Any()) continue;
            var parameters = module.parameters().Sum(p => p.numel());
            var kind = module.GetType().Name;
            var hook = leaf.register_forward_hook((_, input, output) =>
            {
                rows.Add(new LayerRow(name, kind, output.shape.Skip(1).ToArray(), parameters, MultiplyAddsOf(module, input, output)));
                return null!;
            });
            hooks.Add(hook.remove);
        }
        var wasTraining = net.training;
        try
        {
            net.eval();
            using var noGrad = no_grad();
            using var scope = NewDisposeScope();
            var p = net.parameters().First();
            net.forward(zeros([1, 3, size, size], dtype: p.dtype, device: p.device));
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            throw new ArgumentException($"{net.Spec.Name} cannot run on {size}x{size} inputs: {e.Message}", e);
        }
        finally
        {
            foreach (var remove in hooks) remove();
            net.train(wasTraining);
        }
        return new ModelSummary(net.Spec, size, rows, StagesOf(rows));
    }

    static long MultiplyAddsOf(nn.Module module, Tensor input, Tensor output) => module switch
    {
        Conv2d conv => output.numel() / output.shape[0] * (conv.weight!.shape[1] * conv.weight.shape[2] * conv.weight.shape[3]),
        Linear fc => fc.weight!.shape[0] * fc.weight.shape[1],
        _ => 0,
    };

    // Table 1 groups the max pool with conv2_x and calls stage k "conv(k+1)_x".
    static IReadOnlyList<StageRow> StagesOf(List<LayerRow> rows)
    {
        static string StageOf(string layer) =>
            layer.StartsWith("layer", StringComparison.Ordinal) ? $"conv{int.Parse(layer[5..layer.IndexOf('.')]) + 1}_x"
            : layer is "maxpool" ? "conv2_x"
            : layer is "conv1" or "bn1" ? "conv1"
            : "head";
        return rows.GroupBy(r => StageOf(r.Name))
            .Select(g => new StageRow(g.Key, g.Last().OutputShape, g.Sum(r => r.Parameters), g.Sum(r => r.MultiplyAdds)))
            .ToArray();
    }
}
