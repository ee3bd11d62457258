using ResNetSharp.Data;
using ResNetSharp.Evaluation;
using ResNetSharp.Models;
using ResNetSharp.Tests.Data;
using static TorchSharp.torch;

namespace ResNetSharp.Tests.Evaluation;

public sealed class EvaluatorTests
{
    static InMemoryDataset Images(int count, int size)
    {
        var images = Enumerable.Range(0, count).Select(i => TestImages.Coordinates(size + i % 3, size, (byte)(i * 37))).ToArray();
        return new InMemoryDataset(images, [.. Enumerable.Range(0, count).Select(i => i % 3)], ["a", "b", "c"]);
    }

    /// <summary>Softmax of one view, computed alone, the way a person would check it.</summary>
    static Tensor Probabilities(ResNet net, IImageTransform view, RgbImage image, int v, Normalization normalization)
    {
        var bytes = new byte[view.Views * view.Height * view.Width * 3];
        var offsets = new float[view.Views * 3];
        var random = SampleRandom.For(0, 0, 0);
        view.Apply(image, ref random, bytes, offsets);
        var pixels = view.Height * view.Width * 3;
        using var x = normalization.ToTensor(bytes.AsSpan(v * pixels, pixels), 1, view.Height, view.Width);
        return net.call(x).softmax(1)[0];
    }

    [Theory]
    [InlineData("10-crop")]
    [InlineData("flip")]
    public void Should_Average_Views_Like_A_Hand_Computation(string protocol)
    {
        // Given a tiny net and ten images seen through 10-crop, or their centre crop and its mirror
        using var net = new ResNet(ModelZoo.Get("resnet8") with { Classes = 3 });
        net.eval();
        var data = Images(10, 12);
        IImageTransform view = protocol == "flip" ? new FlipViews(new CenterCrop(8, 10)) : new TenCrop(8, 10);
        var loader = new DataLoader(data, view, new DataLoaderOptions { BatchSize = 4, Shuffle = false, Workers = 0 });

        // When the evaluator runs
        var result = Evaluator.Evaluate(net, loader, protocol);

        // Then its top-1 error and confusion match averaging the views' softmax by hand
        using var noGrad = no_grad();
        var wrong = 0;
        var confusion = new long[3, 3];
        for (var i = 0; i < data.Count; i++)
        {
            using var mean = stack(Enumerable.Range(0, view.Views).Select(v => Probabilities(net, view, data.Image(i), v, Normalization.None)).ToArray()).mean([0]);
            var predicted = mean.argmax().item<long>();
            if (predicted != data.Label(i)) wrong++;
            confusion[data.Label(i), predicted]++;
        }
        Assert.Equal(10, result.Samples);
        Assert.Equal(wrong / 10.0, result.Top1Error, 12);
        Assert.Equal(0, result.Top5Error); // three classes: the truth is always in the top 3
        for (var t = 0; t < 3; t++)
            for (var p = 0; p < 3; p++)
                Assert.Equal(confusion[t, p], result.Confusion[t][p]);
    }

    [Fact]
    public void Should_Average_Scales_Like_A_Hand_Computation()
    {
        using var net = new ResNet(ModelZoo.Get("resnet8") with { Classes = 3 });
        net.eval();
        var data = Images(6, 10);
        int[] scales = [8, 16];

        var result = Evaluator.EvaluateMultiScale(net, data, Normalization.None, scales);

        using var noGrad = no_grad();
        var wrong = 0;
        for (var i = 0; i < data.Count; i++)
        {
            var views = MultiScale.Views(data.Image(i), scales).Select(v => net.call(MultiScale.ToTensor(v.Image, Normalization.None)).softmax(1)[0]).ToArray();
            if (stack(views).mean([0]).argmax().item<long>() != data.Label(i)) wrong++;
        }
        Assert.Equal(wrong / 6.0, result.Top1Error, 12);
        Assert.Contains("multi-scale", result.Protocol);
    }

    [Fact]
    public void Should_Keep_The_Networks_Mode_And_Statistics()
    {
        using var net = ModelZoo.Create("resnet8");
        net.train();
        var loader = new DataLoader(Images(4, 8), new CenterCrop(8, null), new DataLoaderOptions { BatchSize = 2, Shuffle = false, Workers = 0 });
        var before = net.get_buffer("bn1.running_mean")!.clone();

        Evaluator.Evaluate(net, loader);

        Assert.True(net.training);
        Assert.True(before.equal(net.get_buffer("bn1.running_mean")!).all().item<bool>());
    }
}
