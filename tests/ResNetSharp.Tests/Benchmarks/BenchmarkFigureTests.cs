using ResNetSharp.Benchmarks;

namespace ResNetSharp.Tests.Benchmarks;

public sealed class BenchmarkFigureTests
{
    [Theory]
    [InlineData(new[] { 9.0, 1.0, 3.0 }, 1.0, 3.0)] // odd count, unsorted: the middle sample, not the first or the mean
    [InlineData(new[] { 4.0, 1.0, 10.0, 2.0 }, 1.0, 3.0)] // even count: the mean of the two middle samples
    [InlineData(new[] { 7.0 }, 7.0, 7.0)]
    public void Should_Take_The_Smallest_And_The_Middle_Sample(double[] samples, double min, double median)
    {
        // Given a figure measured a few times
        var figure = new BenchmarkFigure("peak", "matmul", "GFLOP/s", samples);

        // Then its min and median are those of the samples in any order
        Assert.Equal(min, figure.Min);
        Assert.Equal(median, figure.Median);
    }

    [Fact]
    public void Should_Have_No_Min_Or_Median_Without_Samples()
    {
        var figure = new BenchmarkFigure("peak", "matmul", "GFLOP/s", []);

        Assert.True(double.IsNaN(figure.Min));
        Assert.True(double.IsNaN(figure.Median));
    }
}
