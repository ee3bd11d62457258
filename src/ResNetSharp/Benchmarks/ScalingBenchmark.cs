using System.Diagnostics;
using ResNetSharp.Distributed;
using ResNetSharp.Models;
using ResNetSharp.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace ResNetSharp.Benchmarks;

/// <summary>One data-parallel training speed: a network, how many ranks of how many threads, and what the all-reduce cost.</summary>
/// <param name="Model">Network name.</param>
/// <param name="Ranks">Processes (1 = no MPI).</param>
/// <param name="Threads">Intra-op threads of each rank.</param>
/// <param name="Batch">Global batch (each rank trains Batch / Ranks).</param>
/// <param name="ImagesPerSecond">Training images per second of the whole job.</param>
/// <param name="AllReduceShare">Rank 0's gradient all-reduce time over its step time (0 on one process).</param>
/// <param name="AllReduceMilliseconds">Rank 0's gradient all-reduce time per step.</param>
/// <param name="GradientMegabytes">Gradient bytes all-reduced per step, in MB.</param>
public sealed record ScalingFigure(string Model, int Ranks, int Threads, int Batch, double ImagesPerSecond, double AllReduceShare, double AllReduceMilliseconds, double GradientMegabytes);

/// <summary>
/// Training speed of data-parallel SGD on CIFAR-sized random batches: forward, backward, gradients averaged over
/// the ranks (<see cref="DataParallel"/>), update — the step <c>resnet train</c> runs under
/// mpirun, without the data loader. Every rank calls <see cref="Measure"/> with the same arguments.
/// </summary>
public static class ScalingBenchmark
{
    /// <summary>Times <paramref name="steps"/> steps after <paramref name="warmup"/> of <paramref name="model"/> at global batch <paramref name="batch"/>.</summary>
    public static ScalingFigure Measure(string model, int batch, int steps, int warmup, ICommunicator comm)
    {
        if (batch % comm.Size != 0) throw new ArgumentException($"A batch of {batch} does not split over {comm.Size} ranks.");
        manual_seed(0);
        using var net = new ResNet(ModelZoo.Get(model));
        var (channelsLast, _) = ChannelsLast.TryApply(net, 32, CPU); // as training does
        net.train();
        using var parallel = comm.Size > 1 ? new DataParallel(net, comm) : null;
        using var sgd = new Sgd(net.named_parameters(), 0.01, 0.9, 1e-4);
        var local = batch / comm.Size;
        using var random = randn(local, 3, 32, 32);
        using var images = channelsLast ? ChannelsLast.Of(random) : random.alias();
        using var labels = randint(0, 10, [local], dtype: ScalarType.Int64);
        var allReduceBefore = TimeSpan.Zero;
        var clock = new Stopwatch();
        for (var i = 0; i < warmup + steps; i++)
        {
            if (i == warmup)
            {
                comm.Barrier();
                allReduceBefore = parallel?.AllReduceTime ?? TimeSpan.Zero;
                clock.Start();
            }
            using var scope = NewDisposeScope();
            var loss = nn.functional.cross_entropy(net.call(images), labels);
            sgd.ZeroGrad();
            loss.backward();
            parallel?.AverageGradients();
            sgd.Step();
        }
        comm.Barrier();
        clock.Stop();
        var allReduce = (parallel?.AllReduceTime ?? TimeSpan.Zero) - allReduceBefore;
        var gradientBytes = net.parameters().Sum(p => p.numel()) * 4.0;
        return new ScalingFigure(model, comm.Size, get_num_threads(), batch, batch * steps / clock.Elapsed.TotalSeconds,
            allReduce / clock.Elapsed, allReduce.TotalMilliseconds / steps, gradientBytes / 1e6);
    }
}
