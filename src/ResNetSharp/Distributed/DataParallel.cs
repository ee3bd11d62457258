using System.Diagnostics;
using ResNetSharp.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace ResNetSharp.Distributed;

/// <summary>
/// Keeps one network's replicas on every rank in step, as PyTorch's DistributedDataParallel does: the same
/// start (rank 0's weights and buffers broadcast), gradients averaged over the ranks before every SGD step
/// (flattened into a few buckets of at most <see cref="BucketFloats"/> values, one all-reduce each), and BN
/// running statistics taken from rank 0 before every step and evaluation, so the replicas and rank 0's
/// checkpoint agree. The all-reduce starts after the backward pass (no overlap).
/// </summary>
public sealed class DataParallel : IDisposable
{
    /// <summary>Values per gradient bucket (4 MB of float32): ResNet-20's 0.27 M gradients take one, ResNet-56's 0.85 M one.</summary>
    public const int BucketFloats = 1 << 20;

    readonly ICommunicator comm;
    readonly TorchSharp.Modules.Parameter[] parameters;
    readonly (float[] Data, Tensor View, int[] Members, long[] Offsets)[] buckets;
    readonly Tensor[] stateTensors;
    readonly float[] stateData;
    readonly Tensor stateView;
    long allReduceTicks;

    /// <summary>Prepares the buckets for <paramref name="model"/>'s trainable parameters.</summary>
    public DataParallel(ResNet model, ICommunicator comm)
    {
        this.comm = comm;
        parameters = [.. model.parameters().Where(p => p.requires_grad)];
        var groups = new List<List<int>>();
        long filled = 0;
        for (var i = 0; i < parameters.Length; i++)
        {
            var n = parameters[i].numel();
            if (groups.Count == 0 || filled + n > BucketFloats)
            {
                groups.Add([]);
                filled = 0;
            }
            groups[^1].Add(i);
            filled += n;
        }
        buckets = [.. groups.Select(g =>
        {
            var offsets = new long[g.Count];
            long total = 0;
            for (var k = 0; k < g.Count; k++)
            {
                offsets[k] = total;
                total += parameters[g[k]].numel();
            }
            var data = GC.AllocateArray<float>((int)Math.Max(1, total), pinned: true);
            return (data, torch.frombuffer(data, ScalarType.Float32, data.Length, 0, false).DetachFromDisposeScope(), g.ToArray(), offsets);
        })];
        // float buffers (BN running mean and variance); counters such as num_batches_tracked advance alike everywhere
        stateTensors = [.. model.buffers().Where(b => b.dtype == ScalarType.Float32)];
        stateData = GC.AllocateArray<float>((int)Math.Max(1, stateTensors.Sum(t => t.numel())), pinned: true);
        stateView = torch.frombuffer(stateData, ScalarType.Float32, stateData.Length, 0, false).DetachFromDisposeScope();
    }

    /// <summary>Number of gradient buckets (one all-reduce each per step).</summary>
    public int Buckets => buckets.Length;

    /// <summary>Wall time spent inside gradient all-reduces so far (for the scaling benchmark).</summary>
    public TimeSpan AllReduceTime => Stopwatch.GetElapsedTime(0, allReduceTicks);

    /// <summary>Gives every rank rank 0's weights and buffers (start of a run, and after fine-tuning loads weights).</summary>
    public void BroadcastState(ResNet model)
    {
        using var noGrad = no_grad();
        foreach (var t in model.state_dict().Values.Where(t => t.dtype == ScalarType.Float32))
        {
            var data = new float[t.numel()];
            using var view = torch.frombuffer(data, ScalarType.Float32, data.Length, 0, false);
            if (comm.Rank == 0) view.copy_(t.reshape(-1));
            comm.Broadcast(data);
            if (comm.Rank != 0) t.copy_(view.view(t.shape));
        }
    }

    /// <summary>Gives every rank rank 0's BN running statistics (before each step and each evaluation).</summary>
    public void BroadcastBuffers()
    {
        if (stateTensors.Length == 0) return;
        using var noGrad = no_grad();
        long offset = 0;
        if (comm.Rank == 0)
        {
            foreach (var t in stateTensors)
            {
                stateView.narrow(0, offset, t.numel()).view(t.shape).copy_(t);
                offset += t.numel();
            }
        }
        comm.Broadcast(stateData);
        if (comm.Rank == 0) return;
        offset = 0;
        foreach (var t in stateTensors)
        {
            t.copy_(stateView.narrow(0, offset, t.numel()).view(t.shape));
            offset += t.numel();
        }
    }

    /// <summary>Replaces every gradient by its mean over the ranks (a parameter without a gradient on every rank stays without).</summary>
    public void AverageGradients()
    {
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        foreach (var (data, view, members, offsets) in buckets)
        {
            for (var k = 0; k < members.Length; k++)
            {
                var p = parameters[members[k]];
                var slice = view.narrow(0, offsets[k], p.numel());
                if (p.grad is { } g) slice.view(p.shape).copy_(g);
                else slice.zero_();
            }
            var start = Stopwatch.GetTimestamp();
            comm.AllReduceSum(data);
            allReduceTicks += Stopwatch.GetTimestamp() - start;
            view.div_(comm.Size);
            for (var k = 0; k < members.Length; k++)
            {
                var p = parameters[members[k]];
                p.grad?.copy_(view.narrow(0, offsets[k], p.numel()).view(p.shape));
            }
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var b in buckets) b.View.Dispose();
        stateView.Dispose();
    }
}
