using ResNetSharp.Data;
using ResNetSharp.Runtime;
using TorchSharp;

namespace ResNetSharp.Tests.Data;

public sealed class NormalizationTests
{
    public NormalizationTests() => TorchRuntime.EnsureLoaded();

    static InMemoryDataset TwoImages() => new(
        [TestImages.Solid(2, 2, 10, 20, 30), TestImages.Coordinates(2, 2, seed: 50)], [0, 1], ["a", "b"]);

    [Fact]
    public void Should_Average_Each_Pixel_Over_The_Training_Set()
    {
        // Given a solid (10, 20, 30) image and one whose pixels are (x, y, 50)
        var data = TwoImages();

        // When the mean image is computed
        var mean = MeanImage.Compute(data);

        // Then each value is the average of the two, stored CHW
        Assert.Equal([5f, 5.5f, 5f, 5.5f], mean.Values[0..4]);   // R: (10 + x) / 2
        Assert.Equal([10f, 10f, 10.5f, 10.5f], mean.Values[4..8]); // G: (20 + y) / 2
        Assert.Equal([40f, 40f, 40f, 40f], mean.Values[8..12]);
        Assert.Equal([5.25f, 10.25f, 40f], mean.ChannelMeans());
    }

    [Fact]
    public void Should_Subtract_The_Per_Pixel_Mean()
    {
        // Given the per-pixel mean of the two images, in pixel units (scale 1)
        var data = TwoImages();
        var norm = Normalization.PerPixelMean(MeanImage.Compute(data), scale: 1f);
        var bytes = data.Image(0).Pixels.ToArray().Concat(data.Image(1).Pixels.ToArray()).ToArray();

        // When both are converted
        using var x = norm.ToTensor(bytes, 2, 2, 2);

        // Then the two results are opposite and the first is image − mean
        Assert.Equal(new long[] { 2, 3, 2, 2 }, x.shape);
        Assert.Equal(5f, x[0, 0, 0, 0].item<float>());    // 10 − 5
        Assert.Equal(-5f, x[1, 0, 0, 0].item<float>());
        Assert.Equal(9.5f, x[0, 1, 1, 0].item<float>());  // 20 − 10.5
        Assert.Equal(0f, x.sum().item<float>(), 4);
    }

    [Fact]
    public void Should_Scale_Subtract_Divide_And_Add_The_Offset()
    {
        // Given per-channel mean/std in [0, 1] units and a colour offset of +51 on red
        var norm = Normalization.PerChannel([0.5f, 0.5f, 0.5f], [0.25f, 0.5f, 1f]);
        var bytes = new byte[] { 102, 255, 0 };

        // When one 1x1 pixel is converted
        using var x = norm.ToTensor(bytes, 1, 1, 1, [51f, 0f, 0f]);

        // Then x = ((p + o)/255 − 0.5)/std
        Assert.Equal((153 / 255f - 0.5f) / 0.25f, x[0, 0, 0, 0].item<float>(), 5);
        Assert.Equal(1f, x[0, 1, 0, 0].item<float>(), 5);
        Assert.Equal(-0.5f, x[0, 2, 0, 0].item<float>(), 5);
    }

    [Fact]
    public void Should_Give_Channels_Last_Strides_With_The_Same_Values()
    {
        // Given two images
        var data = TwoImages();
        var bytes = data.Image(0).Pixels.ToArray().Concat(data.Image(1).Pixels.ToArray()).ToArray();

        // When converted in both layouts
        using var nchw = Normalization.None.ToTensor(bytes, 2, 2, 2);
        using var nhwc = Normalization.None.ToTensor(bytes, 2, 2, 2, channelsLast: true);

        // Then the values agree and only the strides differ
        Assert.True(nchw.eq(nhwc).all().item<bool>());
        Assert.Equal(new long[] { 12, 4, 2, 1 }, nchw.stride());
        Assert.Equal(new long[] { 12, 1, 6, 3 }, nhwc.stride());
    }

    [Fact]
    public void Should_Refuse_A_Mean_Image_Of_Another_Size()
    {
        var norm = Normalization.PerPixelMean(MeanImage.Compute(TwoImages()));
        var e = Assert.Throws<InvalidOperationException>(() => norm.ToTensor(new byte[27], 1, 3, 3));
        Assert.Contains("AveragedOverPixels", e.Message);
    }
}
