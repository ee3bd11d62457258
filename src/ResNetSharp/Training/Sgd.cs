using TorchSharp;
using static TorchSharp.torch;

namespace ResNetSharp.Training;

/// <summary>
/// SGD with momentum and L2 weight decay as the paper trains (section 3.4): for each parameter w with
/// gradient g, v ← μ·v + (g + λ·w) and w ← w − lr·v (PyTorch's formulation; Nesterov optional).
/// Its whole state is the named momentum buffers, so a checkpoint restores it exactly.
/// </summary>
public sealed class Sgd : IDisposable
{
    readonly (string Name, TorchSharp.Modules.Parameter Parameter, double WeightDecay)[] parameters;
    readonly Dictionary<string, Tensor> momentum = [];

    /// <summary>Momentum μ.</summary>
    public double Momentum { get; }

    /// <summary>Nesterov momentum instead of heavy-ball.</summary>
    public bool Nesterov { get; }

    /// <summary>Learning rate of the next <see cref="Step"/>.</summary>
    public double LearningRate { get; set; }

    /// <summary>
    /// Optimises <paramref name="named"/> parameters; with <paramref name="decayNormAndBias"/> false, BN scales/shifts
    /// and biases (every parameter of one dimension) get no weight decay.
    /// </summary>
    public Sgd(IEnumerable<(string Name, TorchSharp.Modules.Parameter Parameter)> named, double learningRate, double momentum, double weightDecay,
        bool nesterov = false, bool decayNormAndBias = true)
    {
        if (momentum < 0 || weightDecay < 0 || learningRate < 0) throw new ArgumentException("Learning rate, momentum and weight decay must not be negative.");
        if (nesterov && momentum == 0) throw new ArgumentException("Nesterov momentum needs a momentum above 0.");
        parameters = named.Where(p => p.Parameter.requires_grad)
            .Select(p => (p.Name, p.Parameter, decayNormAndBias || p.Parameter.dim() > 1 ? weightDecay : 0.0))
            .ToArray();
        LearningRate = learningRate;
        Momentum = momentum;
        Nesterov = nesterov;
    }

    /// <summary>Applies one update from the current gradients; parameters without a gradient are left alone.</summary>
    public void Step()
    {
        using var noGrad = no_grad();
        foreach (var (name, p, decay) in parameters)
        {
            var grad = p.grad;
            if (grad is null) continue;
            using var scope = NewDisposeScope();
            var d = decay != 0 ? grad.add(p, alpha: decay) : grad;
            if (Momentum != 0)
            {
                if (!momentum.TryGetValue(name, out var v))
                {
                    v = d.clone().DetachFromDisposeScope();
                    momentum[name] = v;
                }
                else
                {
                    v.mul_(Momentum).add_(d);
                }
                d = Nesterov ? d.add(v, alpha: Momentum) : v;
            }
            p.add_(d, alpha: -LearningRate);
        }
    }

    /// <summary>Clears all gradients (sets them to none, as PyTorch's default).</summary>
    public void ZeroGrad()
    {
        foreach (var (_, p, _) in parameters)
        {
            if (p.grad is { } g)
            {
                g.Dispose();
                p.grad = null;
            }
        }
    }

    /// <summary>The momentum buffers by parameter name (shared tensors; copy before mutating).</summary>
    public IReadOnlyDictionary<string, Tensor> State => momentum;

    /// <summary>Restores momentum buffers saved from <see cref="State"/>; names must match this optimiser's parameters.</summary>
    public void LoadState(IReadOnlyDictionary<string, Tensor> state)
    {
        var known = parameters.ToDictionary(p => p.Name, p => p.Parameter);
        foreach (var (name, value) in state)
        {
            if (!known.TryGetValue(name, out var p))
                throw new InvalidDataException($"The optimiser state names '{name}', which this network does not have.");
            if (!p.shape.SequenceEqual(value.shape))
                throw new InvalidDataException($"Momentum of '{name}' has shape [{string.Join(",", value.shape)}], the parameter [{string.Join(",", p.shape)}].");
            if (momentum.Remove(name, out var old)) old.Dispose();
            momentum[name] = value.to(p.dtype, p.device).clone();
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var v in momentum.Values) v.Dispose();
        momentum.Clear();
    }
}
