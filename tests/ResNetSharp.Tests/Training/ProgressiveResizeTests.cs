using ResNetSharp.Data;
using ResNetSharp.Models;
using ResNetSharp.Training;
using static TorchSharp.torch;

namespace ResNetSharp.Tests.Training;

public sealed class ProgressiveResizeTests
{
    static readonly ResizePhase[] Phases = [new(16, 0.25), new(24, 0.5)];

    [Theory]
    [InlineData(0, 16)]
    [InlineData(24, 16)]
    [InlineData(25, 24)]
    [InlineData(49, 24)]
    [InlineData(50, null)]
    [InlineData(99, null)]
    public void Should_Give_Each_Phase_Its_Share_Of_The_Iterations(long iteration, int? side)
    {
        // 100 iterations: side 16 for iterations 0–24, 24 for 25–49, then the full crop
        Assert.Equal(side, ProgressiveResize.SideAt(Phases, iteration, 100));
    }

    [Fact]
    public void Should_Read_Phases_And_Refuse_Nonsense()
    {
        Assert.Equal(Phases, ProgressiveResize.Parse("16:0.25, 24:0.5"));
        Assert.Empty(ProgressiveResize.Parse(""));
        Assert.Contains("side:until", Assert.Throws<ArgumentException>(() => ProgressiveResize.Parse("16")).Message);
        Assert.Contains("rising", Assert.Throws<ArgumentException>(() => ProgressiveResize.Parse("16:0.5,24:0.4")).Message);
        Assert.Contains("rising", Assert.Throws<ArgumentException>(() => ProgressiveResize.Parse("16:1")).Message);
        Assert.Contains("at least 8", Assert.Throws<ArgumentException>(() => ProgressiveResize.Parse("4:0.5")).Message);
        Assert.Contains("larger than", Assert.Throws<ArgumentException>(() => (Recipes.CifarCpu with { CropSize = 16, ProgressiveResize = Phases }).Validate()).Message);
        Assert.Contains("resize or crop", Assert.Throws<ArgumentException>(() => (Recipes.CifarCpu with { ProgressiveMode = (ProgressiveMode)7 }).Validate()).Message);
    }

    [Fact]
    public void Should_Downscale_A_Batch_And_Keep_Its_Memory_Format()
    {
        // Given a channels-last batch of constant images
        using var batch = ChannelsLast.Of(full(new long[] { 2, 3, 32, 32 }, 0.5f));

        // When it is downscaled to 16, and "downscaled" to its own size
        using var small = ProgressiveResize.Apply(batch, 16, MemoryFormat.ChannelsLast);
        var same = ProgressiveResize.Apply(batch, 32, MemoryFormat.ChannelsLast);

        // Then the small one is 16x16, still channels-last (channel stride 1), with the same constant;
        // the full size passes through untouched
        Assert.Equal([2, 3, 16, 16], small.shape);
        Assert.Equal(1, small.stride(1));
        Assert.True(small.allclose(full(new long[] { 2, 3, 16, 16 }, 0.5f)));
        Assert.Same(batch, same);
        Assert.Same(batch, ProgressiveResize.Apply(batch, null, MemoryFormat.ChannelsLast));
    }

    [Fact]
    public void Should_Crop_A_Window_At_The_Original_Scale_The_Same_Way_For_The_Same_Iteration()
    {
        // Given a batch whose every pixel holds its own row and column (value = 100·row + column)
        using var rows = arange(32, ScalarType.Float32).reshape(1, 1, 32, 1) * 100;
        using var columns = arange(32, ScalarType.Float32).reshape(1, 1, 1, 32);
        using var batch = (rows + columns).expand(2, 3, 32, 32).contiguous();

        // When a 20-pixel window is cut at iteration 7, twice, and at another iteration
        using var a = ProgressiveResize.Apply(batch, 20, MemoryFormat.Contiguous, ProgressiveMode.Crop, seed: 3, iteration: 7);
        using var b = ProgressiveResize.Apply(batch, 20, MemoryFormat.Contiguous, ProgressiveMode.Crop, seed: 3, iteration: 7);
        var windows = Enumerable.Range(0, 20).Select(i =>
        {
            using var w = ProgressiveResize.Apply(batch, 20, MemoryFormat.Contiguous, ProgressiveMode.Crop, seed: 3, iteration: i);
            return w[0, 0, 0, 0].item<float>();
        }).Distinct().Count();

        // Then it is a 20x20 window of unchanged pixels (rows and columns step by one), the same for the same
        // iteration and seed, and iterations draw different windows
        Assert.Equal([2, 3, 20, 20], a.shape);
        var top = (int)(a[0, 0, 0, 0].item<float>() / 100);
        var left = (int)(a[0, 0, 0, 0].item<float>() % 100);
        Assert.True(a.equal(batch.narrow(2, top, 20).narrow(3, left, 20)).all().item<bool>());
        Assert.True(a.equal(b).all().item<bool>());
        Assert.True(windows > 1, "every iteration cut the same window");
    }
}
