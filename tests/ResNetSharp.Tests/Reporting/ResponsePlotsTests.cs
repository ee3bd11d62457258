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
    public void Should_Draw_First_And_Second_Layers_Apart_On_A_Log_Axis_When_One_Net_Is_An_Outlier()
    {
        // Given basic units (".bn1", ".bn2" per unit) where one net responds 100x more than the others
        static LayerResponseStd Units(int units, double first, double second) => new(
            [.. Enumerable.Range(0, units).SelectMany(u => new[] { $"layer1.{u}.bn1", $"layer1.{u}.bn2" })],
            [.. Enumerable.Range(0, units).SelectMany(_ => new[] { first, second })]);
        (string, LayerResponseStd)[] nets = [("plain-56", Units(27, 9.0, 8.0)), ("resnet20", Units(9, 0.09, 0.05))];
        var all = nets.SelectMany(n => n.Item2.Stds).ToArray();

        // When the sorted panels are laid out
        var plots = ResponsePlots.SortedPlots(nets, all, PlotStyle.NeedsLog(all));
        foreach (var plot in plots) plot.GetImage(ResponsePlots.Width, ResponsePlots.Height).Dispose();

        // Then there are two panels (first layers, second layers) on a log axis, each with the legend outside its data
        Assert.True(PlotStyle.NeedsLog(all));
        Assert.Equal(2, plots.Length);
        Assert.Equal([0.09], nets[1].Item2.FirstOfUnit.Stds.Distinct());
        Assert.Equal([0.05], nets[1].Item2.SecondOfUnit.Stds.Distinct());
        Assert.All(plots, p => Assert.True(PlotStyle.LegendRect(p)!.Value.Left >= PlotStyle.DataRect(p).Right));
        Assert.All(plots, p => Assert.Contains("log", p.Axes.Left.Label.Text));
    }

    [Fact]
    public void Should_Refuse_A_Net_Without_Layers()
    {
        var error = Assert.Throws<ArgumentException>(() =>
            ResponsePlots.Write(Path.Combine(Folder, "a.png"), Path.Combine(Folder, "b.png"), [("plain-20", new LayerResponseStd([], []))]));

        Assert.Contains("plain-20", error.Message);
    }
}
