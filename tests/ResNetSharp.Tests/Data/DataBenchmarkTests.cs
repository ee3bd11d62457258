using ResNetSharp.Data;

namespace ResNetSharp.Tests.Data;

public sealed class DataBenchmarkTests
{
    [Fact]
    public void Should_Report_Positive_Throughput_For_Both_Pipelines()
    {
        // Given a tiny benchmark (the real figures come from a longer run, not from a test)
        var options = new DataBenchmarkOptions { Workers = 2, CifarImages = 1024, CifarBatches = 4, ImageNetImages = 8, ImageNetBatchSize = 4, ImageNetSize = (300, 240) };

        // When it runs
        var result = DataBenchmark.Run(options);

        // Then both figures are measured
        Assert.True(result.CifarImagesPerSecond > 0);
        Assert.True(result.ImageNetImagesPerSecond > 0);
        Assert.Equal(2, result.Workers);
        Assert.Equal(512, result.CifarImages);
    }
}
