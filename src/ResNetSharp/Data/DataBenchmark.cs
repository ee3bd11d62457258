using System.Diagnostics;
using SkiaSharp;

namespace ResNetSharp.Data;

/// <summary>What <see cref="DataBenchmark.Run"/> measures; the defaults take a few seconds on two cores.</summary>
public sealed record DataBenchmarkOptions
{
    /// <summary>Loader worker threads.</summary>
    public int Workers { get; init; } = Environment.ProcessorCount;

    /// <summary>CIFAR batches timed (after one warm-up epoch-start batch), at batch size 128.</summary>
    public int CifarBatches { get; init; } = 200;

    /// <summary>CIFAR-like images held in memory (random 32x32 pixels unless <see cref="Cifar"/> is set).</summary>
    public int CifarImages { get; init; } = 25_600;

    /// <summary>A real CIFAR training set to use instead of random pixels.</summary>
    public IImageDataset? Cifar { get; init; }

    /// <summary>ImageNet-style images timed, decoded from JPEG files each time.</summary>
    public int ImageNetImages { get; init; } = 256;

    /// <summary>Size of the generated JPEGs (a typical ImageNet photo is about 500x375).</summary>
    public (int Width, int Height) ImageNetSize { get; init; } = (500, 375);

    /// <summary>Batch size of the ImageNet-style pipeline.</summary>
    public int ImageNetBatchSize { get; init; } = 32;

    /// <summary>Skip the ImageNet-style part.</summary>
    public bool SkipImageNet { get; init; }
}

/// <summary>Throughput of the two training input pipelines.</summary>
/// <param name="CifarImagesPerSecond">Pad–crop–flip–normalise–to-tensor, batch 128, from memory.</param>
/// <param name="ImageNetImagesPerSecond">Decode JPEG, scale augmentation, 224 crop, flip, PCA lighting, normalise (NaN if skipped).</param>
/// <param name="Workers">Loader worker threads.</param>
/// <param name="CifarImages">Images timed in the CIFAR pipeline.</param>
/// <param name="ImageNetImages">Images timed in the ImageNet-style pipeline.</param>
/// <param name="ImageNetSource">What the ImageNet-style images were.</param>
public sealed record DataBenchmarkResult(
    double CifarImagesPerSecond, double ImageNetImagesPerSecond, int Workers, int CifarImages, int ImageNetImages, string ImageNetSource);

/// <summary>Measures images per second of the CIFAR and ImageNet-style training pipelines through <see cref="DataLoader"/>.</summary>
public static class DataBenchmark
{
    /// <summary>Runs both pipelines and returns their throughput; the library prints nothing.</summary>
    public static DataBenchmarkResult Run(DataBenchmarkOptions? options = null)
    {
        options ??= new DataBenchmarkOptions();
        var cifar = options.Cifar ?? RandomCifar(options.CifarImages);
        var cifarNorm = Normalization.PerPixelMean(MeanImage.Compute(cifar));
        var (cifarRate, cifarCount) = Measure(cifar, new CifarAugmentation(),
            new DataLoaderOptions { BatchSize = 128, Workers = options.Workers, Normalization = cifarNorm, Seed = 1 }, options.CifarBatches);

        if (options.SkipImageNet) return new(cifarRate, double.NaN, options.Workers, cifarCount, 0, "skipped");
        var folder = Path.Combine(Path.GetTempPath(), $"resnetsharp-bench-{Environment.ProcessId}");
        try
        {
            var (w, h) = options.ImageNetSize;
            WriteJpegs(folder, Math.Min(options.ImageNetImages, 64), w, h);
            var images = ImageFolder.Open(folder);
            var batches = Math.Max(1, options.ImageNetImages / options.ImageNetBatchSize);
            var norm = Normalization.PerChannel([0.485f, 0.456f, 0.406f], [0.229f, 0.224f, 0.225f]);
            var loaderOptions = new DataLoaderOptions { BatchSize = options.ImageNetBatchSize, Workers = options.Workers, Normalization = norm, Seed = 1 };
            var (rate, count) = Measure(new Repeated(images, batches * options.ImageNetBatchSize + options.ImageNetBatchSize),
                new ImageNetAugmentation(), loaderOptions, batches);
            return new(cifarRate, rate, options.Workers, cifarCount, count, $"{w}x{h} JPEG files (quality 90) read from disk");
        }
        finally
        {
            if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
        }
    }

    static (double Rate, int Images) Measure(IImageDataset data, IImageTransform transform, DataLoaderOptions options, int batches)
    {
        var loader = new DataLoader(data, transform, options);
        batches = Math.Min(batches, loader.BatchesPerEpoch - 1);
        var images = 0;
        var clock = new Stopwatch();
        var seen = 0;
        foreach (var batch in loader.Epoch(0))
        {
            using (batch)
            {
                if (seen++ == 0)
                {
                    clock.Start(); // the first batch includes thread start-up and JIT
                    continue;
                }
                images += batch.Count;
                if (seen > batches) break;
            }
        }
        clock.Stop();
        return (images / clock.Elapsed.TotalSeconds, images);
    }

    static InMemoryDataset RandomCifar(int count)
    {
        var random = new SampleRandom(42);
        var pixels = new byte[count * CifarBinary.PixelBytes];
        for (var i = 0; i < pixels.Length; i += 8) BitConverter.TryWriteBytes(pixels.AsSpan(i), random.NextUInt64());
        var images = Enumerable.Range(0, count).Select(i => new RgbImage(32, 32, pixels.AsMemory(i * CifarBinary.PixelBytes, CifarBinary.PixelBytes))).ToArray();
        return new InMemoryDataset(images, [.. Enumerable.Range(0, count).Select(i => i % 10)], CifarBinary.Cifar10ClassNames);
    }

    /// <summary>Smooth gradients plus noise, so the JPEGs have photo-like sizes and decode cost.</summary>
    static void WriteJpegs(string folder, int count, int width, int height)
    {
        var classDir = Path.Combine(folder, "synthetic");
        Directory.CreateDirectory(classDir);
        var random = new SampleRandom(7);
        for (var i = 0; i < count; i++)
        {
            using var bitmap = new SKBitmap(width, height, SKColorType.Rgba8888, SKAlphaType.Opaque);
            var px = bitmap.GetPixelSpan();
            for (var y = 0; y < height; y++)
                for (var x = 0; x < width; x++)
                {
                    var o = (y * width + x) * 4;
                    var n = random.Next(48);
                    px[o] = (byte)((x * 255 / width + n + i * 13) & 255);
                    px[o + 1] = (byte)((y * 255 / height + n) & 255);
                    px[o + 2] = (byte)(((x + y) * 128 / (width + height) + n * 2) & 255);
                    px[o + 3] = 255;
                }
            using var data = bitmap.Encode(SKEncodedImageFormat.Jpeg, 90);
            File.WriteAllBytes(Path.Combine(classDir, $"{i:D4}.jpg"), data.ToArray());
        }
    }

    /// <summary>A few files standing in for many: index i reads file i mod n.</summary>
    sealed class Repeated(IImageDataset inner, int count) : IImageDataset
    {
        public int Count => count;
        public IReadOnlyList<string> ClassNames => inner.ClassNames;
        public int Label(int index) => inner.Label(index % inner.Count);
        public RgbImage Image(int index) => inner.Image(index % inner.Count);
    }
}
