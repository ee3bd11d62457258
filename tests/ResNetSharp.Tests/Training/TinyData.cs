using ResNetSharp.Data;
using ResNetSharp.Tests.Data;
using ResNetSharp.Training;
using SkiaSharp;

namespace ResNetSharp.Tests.Training;

/// <summary>A small learnable ImageFolder written by the test: two classes of square PNGs (8x8 unless told), reddish and bluish, with noise.</summary>
sealed class TinyData : IDisposable
{
    public string Root { get; } = Path.Combine(Path.GetTempPath(), "resnetsharp-tests", Guid.NewGuid().ToString("n"));

    public TinyData(int perClass = 32, int testPerClass = 8, int size = 8)
    {
        var random = new Random(1);
        foreach (var (split, count) in new[] { ("train", perClass), ("test", testPerClass) })
        {
            foreach (var (name, channel) in new[] { ("blue", 2), ("red", 0) })
            {
                var folder = Path.Combine(Root, split, name);
                Directory.CreateDirectory(folder);
                for (var i = 0; i < count; i++)
                {
                    var pixels = new byte[size * size * 3];
                    for (var p = 0; p < size * size; p++)
                        for (var c = 0; c < 3; c++)
                            pixels[p * 3 + c] = (byte)Math.Clamp((c == channel ? 170 : 80) + random.Next(-60, 60), 0, 255);
                    File.WriteAllBytes(Path.Combine(folder, $"{i:0000}.png"), TestImages.Encode(new RgbImage(size, size, pixels), SKEncodedImageFormat.Png));
                }
            }
        }
    }

    /// <summary>A quick config on this data: resnet8, CIFAR augmentation on crops of the images' size, one worker.</summary>
    public TrainingConfig Config(int iterations) => Recipes.PaperCifar with
    {
        Model = "resnet8",
        Data = Root,
        BatchSize = 16,
        Iterations = iterations,
        Milestones = [],
        LearningRate = 0.05,
        Workers = 1,
        LogEvery = 2,
        EvalEvery = 4,
    };

    public void Dispose()
    {
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
