using ResNetSharp.Analysis;
using ResNetSharp.Reporting;
using SkiaSharp;

namespace ResNetSharp.Tests.Reporting;

public sealed class ResponsePlotsTests
{
    static readonly string Folder = Path.Combine(Path.GetTempPath(), "resnetsharp-tests", "responses");

    /// <summary>Stds that look like Fig. 7: plain nets respond more, deeper residual nets less.</summary>
    static LayerResponseStd Fake(int layers, double level, int seed)
    {
        var random = new Random(seed);
        return new LayerResponseStd([.. Enumerable.Range(0, layers).Select(i => $"l{i}")],
            [.. Enumerable.Range(0, layers).Select(i => level * (0.5 + random.NextDouble()) * (1 + 0.5 * Math.Sin(i / 3.0)))]);
    }

    [Fact]
    public void Should_Write_The_By_Layer_And_The_Sorted_Plot()
    {
        // Given the responses of five nets
        (string, LayerResponseStd)[] nets =
        [
            ("plain-20", Fake(18, 2.0, 1)), ("plain-56", Fake(54, 2.5, 2)),
            ("ResNet-20", Fake(18, 1.2, 3)), ("ResNet-56", Fake(54, 0.8, 4)), ("ResNet-110", Fake(108, 0.6, 5)),
        ];
        var byLayer = Path.Combine(Folder, "by-layer.png");
        var sorted = Path.Combine(Folder, "sorted.png");

        // When the two plots are written
        ResponsePlots.Write(byLayer, sorted, nets);

        // Then both exist with lines drawn
        foreach (var png in new[] { byLayer, sorted })
        {
            using var bitmap = SKBitmap.Decode(png);
            Assert.Equal(ResponsePlots.Width, bitmap.Width);
            Assert.True(TrainingCurvesTests.DarkPixels(bitmap) > 1_000);
        }
    }

    [Fact]
    public void Should_Refuse_A_Net_Without_Layers()
    {
        var error = Assert.Throws<ArgumentException>(() =>
            ResponsePlots.Write(Path.Combine(Folder, "a.png"), Path.Combine(Folder, "b.png"), [("plain-20", new LayerResponseStd([], []))]));

        Assert.Contains("plain-20", error.Message);
    }
}
