using System.Runtime.ExceptionServices;
using ResNetSharp.Runtime;
using static TorchSharp.torch;

namespace ResNetSharp.Data;

/// <summary>Memory layout of the batch image tensor.</summary>
public enum MemoryFormat
{
    /// <summary>Contiguous NCHW.</summary>
    Contiguous,

    /// <summary>NCHW shape with NHWC strides (PyTorch's channels_last).</summary>
    ChannelsLast,
}

/// <summary>How a <see cref="DataLoader"/> batches, shuffles and prepares samples.</summary>
public sealed record DataLoaderOptions
{
    /// <summary>Samples per batch (the paper: 128 on CIFAR, 256 on ImageNet).</summary>
    public int BatchSize { get; init; } = 128;

    /// <summary>Draw a new sample order every epoch.</summary>
    public bool Shuffle { get; init; } = true;

    /// <summary>Seeds the order and every augmentation; same seed → same batches, whatever <see cref="Workers"/>.</summary>
    public int Seed { get; init; }

    /// <summary>Worker threads that decode and augment; 0 runs everything on the consuming thread.</summary>
    public int Workers { get; init; } = Environment.ProcessorCount;

    /// <summary>Batches prepared ahead of the consumer at most (bounds memory).</summary>
    public int Prefetch { get; init; } = 4;

    /// <summary>Leave out the last, smaller batch of an epoch.</summary>
    public bool DropLast { get; init; }

    /// <summary>Layout of <see cref="Batch.Images"/>.</summary>
    public MemoryFormat MemoryFormat { get; init; } = MemoryFormat.Contiguous;

    /// <summary>Element type of <see cref="Batch.Images"/> (normalised in float32 first).</summary>
    public ScalarType DType { get; init; } = ScalarType.Float32;

    /// <summary>Scaling and mean subtraction applied to each batch.</summary>
    public Normalization Normalization { get; init; } = Normalization.None;

    /// <summary>
    /// Data-parallel shards: every global batch of <see cref="BatchSize"/> samples (the same as one process's) is cut
    /// into this many equal consecutive slices, and this loader yields slice <see cref="Rank"/>. 1 = the whole batch.
    /// </summary>
    public int Ranks { get; init; } = 1;

    /// <summary>Which slice of each global batch this loader yields (0 … <see cref="Ranks"/> − 1).</summary>
    public int Rank { get; init; }
}

/// <summary>
/// One mini-batch, ready for the model. It owns its tensors: the consumer disposes the batch
/// (<c>using var batch = …</c>) when the step is done; the loader disposes only the batches it never handed out.
/// </summary>
public sealed class Batch(Tensor images, Tensor labels, int epoch, int index, int[] indices, int views) : IDisposable
{
    /// <summary>Images [N·Views, 3, H, W], normalised, in the loader's dtype and memory format.</summary>
    public Tensor Images { get; } = images;

    /// <summary>Labels [N], int64.</summary>
    public Tensor Labels { get; } = labels;

    /// <summary>The epoch this batch belongs to.</summary>
    public int Epoch { get; } = epoch;

    /// <summary>Position of the batch within its epoch (what <see cref="DataLoader.Epoch"/> resumes from).</summary>
    public int Index { get; } = index;

    /// <summary>Data-set indices of the samples, in batch order.</summary>
    public IReadOnlyList<int> Indices { get; } = indices;

    /// <summary>Views per sample (10 for 10-crop): view v of sample n is image <c>n·Views + v</c>.</summary>
    public int Views { get; } = views;

    /// <summary>Number of samples.</summary>
    public int Count => Indices.Count;

    /// <summary>Frees both tensors.</summary>
    public void Dispose()
    {
        Images.Dispose();
        Labels.Dispose();
    }
}

/// <summary>
/// Produces batches from a data set and a per-sample transform on worker threads with a bounded
/// prefetch queue. Sample order and augmentation depend only on (seed, epoch, sample index), so the
/// same seed gives the same batches for any number of workers, and <see cref="Epoch"/> can resume at
/// any batch of an epoch.
/// </summary>
public sealed class DataLoader
{
    readonly IImageDataset data;
    readonly IImageTransform transform;

    /// <summary>Batches <paramref name="data"/> through <paramref name="transform"/> as <paramref name="options"/> say.</summary>
    public DataLoader(IImageDataset data, IImageTransform transform, DataLoaderOptions? options = null)
    {
        Options = options ?? new DataLoaderOptions();
        if (Options.BatchSize < 1) throw new ArgumentOutOfRangeException(nameof(options), Options.BatchSize, "BatchSize must be at least 1.");
        if (Options.Workers < 0) throw new ArgumentOutOfRangeException(nameof(options), Options.Workers, "Workers must be 0 (inline) or more.");
        if (Options.Prefetch < 1) throw new ArgumentOutOfRangeException(nameof(options), Options.Prefetch, "Prefetch must be at least 1.");
        if (Options.Ranks < 1 || Options.Rank < 0 || Options.Rank >= Options.Ranks)
            throw new ArgumentOutOfRangeException(nameof(options), Options.Rank, $"Rank must be in [0, {Options.Ranks}) and Ranks at least 1.");
        if (Options.BatchSize % Options.Ranks != 0)
            throw new ArgumentException($"A batch of {Options.BatchSize} does not split into {Options.Ranks} equal shards; use a batch size divisible by the number of ranks.", nameof(options));
        if (data.Count == 0) throw new ArgumentException("The data set is empty.", nameof(data));
        if (Options.DropLast && data.Count < Options.BatchSize)
            throw new ArgumentException($"With DropLast, {data.Count} samples make no batch of {Options.BatchSize}; lower the batch size.", nameof(options));
        this.data = data;
        this.transform = transform;
        TorchRuntime.EnsureLoaded();
        // fail now, not in a worker, if the mean image does not match the transform's output
        Options.Normalization.ToTensor(new byte[transform.Height * transform.Width * 3], 1, transform.Height, transform.Width).Dispose();
    }

    /// <summary>The options in use.</summary>
    public DataLoaderOptions Options { get; }

    /// <summary>Samples in the data set.</summary>
    public int Count => data.Count;

    /// <summary>The data set's class names.</summary>
    public IReadOnlyList<string> ClassNames => data.ClassNames;

    /// <summary>Batches per epoch (the last one may be smaller unless <see cref="DataLoaderOptions.DropLast"/>).</summary>
    public int BatchesPerEpoch => Options.DropLast ? Count / Options.BatchSize : (Count + Options.BatchSize - 1) / Options.BatchSize;

    /// <summary>The data-set indices of epoch <paramref name="epoch"/>, in the order they are batched.</summary>
    public int[] Order(int epoch)
    {
        if (Options.Shuffle) return TrainValSplit.Permutation(Count, Options.Seed, epoch);
        return [.. Enumerable.Range(0, Count)];
    }

    /// <summary>
    /// The batches of epoch <paramref name="epoch"/> from batch <paramref name="startBatch"/> on. Workers start
    /// when enumeration starts and stop when it ends (also on <c>break</c>). Dispose each batch after use.
    /// </summary>
    public IEnumerable<Batch> Epoch(int epoch, int startBatch = 0)
    {
        if (startBatch < 0 || startBatch > BatchesPerEpoch)
            throw new ArgumentOutOfRangeException(nameof(startBatch), startBatch, $"An epoch has {BatchesPerEpoch} batches.");
        var order = Order(epoch);
        return Options.Workers == 0 ? Inline(epoch, startBatch, order) : Threaded(epoch, startBatch, order);
    }

    IEnumerable<Batch> Inline(int epoch, int startBatch, int[] order)
    {
        for (var b = startBatch; b < BatchesPerEpoch; b++) yield return Build(epoch, b, order);
    }

    IEnumerable<Batch> Threaded(int epoch, int startBatch, int[] order)
    {
        var end = BatchesPerEpoch;
        var slots = new TaskCompletionSource<Batch>[end];
        for (var b = startBatch; b < end; b++) slots[b] = new TaskCompletionSource<Batch>(TaskCreationOptions.RunContinuationsAsynchronously);
        using var permits = new SemaphoreSlim(Options.Prefetch); // batches built or being built but not yet taken
        using var stop = new CancellationTokenSource();
        var next = startBatch - 1;
        var threads = new Thread[Options.Workers];
        for (var w = 0; w < threads.Length; w++)
        {
            threads[w] = new Thread(() =>
            {
                while (true)
                {
                    try
                    {
                        permits.Wait(stop.Token);
                    }
                    catch (OperationCanceledException)
                    {
                        return;
                    }
                    var b = Interlocked.Increment(ref next); // claimed in order, so the consumer's next batch is always in progress
                    if (b >= end) return;
                    try
                    {
                        slots[b].SetResult(Build(epoch, b, order));
                    }
                    catch (Exception e)
                    {
                        slots[b].SetException(e);
                    }
                }
            })
            { IsBackground = true, Name = $"data-worker-{w}" };
            threads[w].Start();
        }
        var taken = startBatch;
        try
        {
            for (; taken < end; taken++)
            {
                var task = slots[taken].Task;
                try
                {
                    task.Wait();
                }
                catch (AggregateException e) when (e.InnerException is { } inner)
                {
                    ExceptionDispatchInfo.Throw(inner);
                }
                var batch = task.Result;
                permits.Release();
                yield return batch;
            }
        }
        finally
        {
            stop.Cancel();
            foreach (var t in threads) t.Join();
            for (var b = taken + 1; b < end; b++) // built but never handed out
                if (slots[b].Task.IsCompletedSuccessfully) slots[b].Task.Result.Dispose();
        }
    }

    Batch Build(int epoch, int batchIndex, int[] order)
    {
        var start = batchIndex * Options.BatchSize;
        var global = Math.Min(Options.BatchSize, Count - start);
        // this rank's consecutive slice of the global batch (all of it on one process)
        int from = global * Options.Rank / Options.Ranks, to = global * (Options.Rank + 1) / Options.Ranks;
        var n = to - from;
        var indices = order.AsSpan(start + from, n).ToArray();
        int views = transform.Views, viewBytes = transform.Height * transform.Width * 3;
        var pixels = new byte[n * views * viewBytes];
        var offsets = new float[n * views * 3];
        var labels = new long[n];
        for (var i = 0; i < n; i++)
        {
            var random = SampleRandom.For(Options.Seed, epoch, indices[i]);
            transform.Apply(data.Image(indices[i]), ref random,
                pixels.AsSpan(i * views * viewBytes, views * viewBytes), offsets.AsSpan(i * views * 3, views * 3));
            labels[i] = data.Label(indices[i]);
        }
        var images = Options.Normalization.ToTensor(pixels, n * views, transform.Height, transform.Width, offsets,
            Options.MemoryFormat == MemoryFormat.ChannelsLast);
        if (Options.DType != ScalarType.Float32)
        {
            var converted = images.to(Options.DType);
            images.Dispose();
            images = converted;
        }
        return new Batch(images, tensor(labels, ScalarType.Int64), epoch, batchIndex, indices, views);
    }
}
