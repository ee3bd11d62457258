using ResNetSharp.Models;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ResNetSharp.Distributed;

/// <summary>
/// Synchronised batch normalisation: in training mode every BN layer normalises with the mean and variance of the
/// whole global batch (all ranks' samples), so N ranks × b images give what 1 rank × N·b gives. The mean and then the
/// variance are all-reduced (two passes, like the single-process layer); the backward pass all-reduces their
/// gradients. It attaches to a network's existing BN layers through forward hooks: each layer's own output is
/// replaced, and its own running-statistics update is disabled (momentum 0) and done here with the global ones.
/// </summary>
public sealed class SyncBatchNorm : IDisposable
{
    readonly List<(BatchNorm Layer, double? Momentum, Action RemoveHook)> layers = [];

    SyncBatchNorm()
    {
    }

    /// <summary>Number of BN layers synchronised.</summary>
    public int Layers => layers.Count;

    /// <summary>Makes every BN layer of <paramref name="model"/> normalise over the batches of all ranks of <paramref name="comm"/>.</summary>
    public static SyncBatchNorm Attach(ResNet model, ICommunicator comm)
    {
        var sync = new SyncBatchNorm();
        foreach (var module in model.modules())
        {
            if (module is not BatchNorm2d bn) continue;
            var momentum = bn.momentum;
            bn.momentum = 0.0; // running = 1·running + 0·local: the layer's own update leaves them bit-identical
            var hook = bn.register_forward_hook((m, input, output) => m.training ? Normalize(bn, input, momentum, comm) : output);
            sync.layers.Add((bn, momentum, hook.remove));
        }
        return sync;
    }

    static Tensor Normalize(BatchNorm bn, Tensor x, double? momentum, ICommunicator comm)
    {
        long[] dims = [0, 2, 3];
        long[] perChannel = [1, -1, 1, 1];
        var total = (double)x.numel() / x.shape[1] * comm.Size; // values per channel in the global batch
        var mean = AllReduceSum.apply(x.sum(dims), comm).div(total);
        var centered = x - mean.view(perChannel);
        var variance = AllReduceSum.apply(centered.square().sum(dims), comm).div(total);
        var y = centered * (variance + bn.eps).rsqrt().view(perChannel);
        if (bn.weight is { } w) y = y * w.view(perChannel);
        if (bn.bias is { } b) y = y + b.view(perChannel);
        if (bn.track_running_stats && bn.running_mean is { } runningMean && bn.running_var is { } runningVar)
        {
            using var noGrad = no_grad();
            // null momentum is a cumulative average; the layer's own forward has already counted this batch
            var m = momentum ?? 1.0 / Math.Max(1, bn.num_batches_tracked?.item<long>() ?? 1);
            runningMean.mul_(1 - m).add_(mean.detach(), alpha: m);
            runningVar.mul_(1 - m).add_(variance.detach().mul(total / Math.Max(1, total - 1)), alpha: m); // unbiased, as PyTorch's
        }
        return y;
    }

    /// <summary>Restores the layers' own behaviour.</summary>
    public void Dispose()
    {
        foreach (var (layer, momentum, removeHook) in layers)
        {
            removeHook();
            layer.momentum = momentum;
        }
        layers.Clear();
    }

    /// <summary>Sum over ranks whose gradient is the sum over ranks of the gradients (the all-reduce is its own adjoint).</summary>
    sealed class AllReduceSum : autograd.SingleTensorFunction<AllReduceSum>
    {
        public override string Name => nameof(AllReduceSum);

        public override Tensor forward(autograd.AutogradContext ctx, params object[] vars)
        {
            var comm = (ICommunicator)vars[1];
            ctx.save_data("comm", comm);
            return Reduce((Tensor)vars[0], comm);
        }

        public override List<Tensor> backward(autograd.AutogradContext ctx, Tensor grad_output) =>
            [Reduce(grad_output, (ICommunicator)ctx.get_data("comm")), null!]; // one gradient per argument; the communicator has none

        static Tensor Reduce(Tensor t, ICommunicator comm)
        {
            // per-channel statistics are small: sum them in double, so the result does not depend on the rank order
            var values = t.detach().to(ScalarType.Float64).cpu().contiguous().data<double>().ToArray();
            comm.AllReduceSum(values);
            return tensor(values, ScalarType.Float64).view(t.shape).to(t.dtype, t.device);
        }
    }
}
