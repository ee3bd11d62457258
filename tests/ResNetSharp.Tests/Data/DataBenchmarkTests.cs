using ResNetSharp.Data;

namespace ResNetSharp.Tests.Data;

public sealed class DataBenchmarkTests
{
    [Fact]
    public void Should_Time_The_Batches_Asked_For_After_The_Warm_Up_Batch()
    {
        // Given a tiny benchmark (the real figures come from a longer run, not from a test): 8 CIFAR batches of 128 held,
        // 4 timed; 8 ImageNet-style images in batches of 4
        var options = new DataBenchmarkOptions { Workers = 2, CifarImages = 1024, CifarBatches = 4, ImageNetImages = 8, ImageNetBatchSize = 4, ImageNetSize = (300, 240) };

        // When it runs
        var result = DataBenchmark.Run(options);

        // Then exactly the timed batches are counted (the warm-up batch is not), for both pipelines
        Assert.Equal(2, result.Workers);
        Assert.Equal(4 * 128, result.CifarImages);
        Assert.Equal(2 * 4, result.ImageNetImages);
        Assert.Contains("300x240 JPEG", result.ImageNetSource);
    }

    [Fact]
    public void Should_Time_No_More_Than_One_Epoch_Minus_The_Warm_Up_Batch()
    {
        // Given more batches asked for than 3 batches of 128 images hold, and the ImageNet-style part skipped
        var options = new DataBenchmarkOptions { Workers = 1, CifarImages = 3 * 128, CifarBatches = 10, SkipImageNet = true };

        // When it runs
        var result = DataBenchmark.Run(options);

        // Then the two batches after the warm-up are timed, and the skipped part has no figure
        Assert.Equal(2 * 128, result.CifarImages);
        Assert.True(double.IsNaN(result.ImageNetImagesPerSecond));
        Assert.Equal(0, result.ImageNetImages);
        Assert.Equal("skipped", result.ImageNetSource);
    }
}
