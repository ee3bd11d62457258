using ResNetSharp.Reporting;
using ResNetSharp.Training;
using SkiaSharp;

namespace ResNetSharp.Tests.Reporting;

public sealed class TrainingCurvesTests
{
    static readonly string Folder = Path.Combine(Path.GetTempPath(), "resnetsharp-tests", "curves");

    [Fact]
    public void Should_Write_A_Png_Of_One_Run()
    {
        // Given a metrics log
        var rows = FakeMetrics.Curve(0.02, 0.08);
        var png = Path.Combine(Folder, "one.png");

        // When the curves are written
        TrainingCurves.Write(png, MetricsRow.Curve(rows), "ResNet-20 on CIFAR-10");

        // Then a PNG of one panel exists, with dark pixels (axes, text, lines) on white
        using var bitmap = SKBitmap.Decode(png);
        Assert.Equal(TrainingCurves.PanelWidth, bitmap.Width);
        Assert.Equal(TrainingCurves.PanelHeight, bitmap.Height);
        Assert.True(DarkPixels(bitmap) > 2_000);
        // and the title is drawn: without a usable font the strip above the axes stays empty
        Assert.True(DarkPixels(Crop(bitmap, 0, 0, bitmap.Width, 30)) > 50);
    }

    [Fact]
    public void Should_Write_Plain_And_Residual_Panels_Side_By_Side()
    {
        // Given plain nets that get worse with depth and residual nets that get better (Fig. 6)
        CurvePanel Panel(string title, double[] trains) => new(title,
            [.. new[] { 20, 32, 44, 56 }.Select((d, i) => new CurveRun($"{d}-layer", MetricsRow.Curve(FakeMetrics.Curve(trains[i], trains[i] + 0.06))))]);
        var png = Path.Combine(Folder, "two.png");

        // When both panels are written
        TrainingCurves.WriteComparison(png, [Panel("plain", [0.05, 0.07, 0.09, 0.11]), Panel("ResNet", [0.04, 0.03, 0.02, 0.01])]);

        // Then the image is two panels wide and both halves are drawn on
        using var bitmap = SKBitmap.Decode(png);
        Assert.Equal(2 * TrainingCurves.PanelWidth, bitmap.Width);
        Assert.True(DarkPixels(bitmap, 0, TrainingCurves.PanelWidth) > 2_000);
        Assert.True(DarkPixels(bitmap, TrainingCurves.PanelWidth, bitmap.Width) > 2_000);
    }

    [Fact]
    public void Should_Place_The_Legend_Outside_The_Data_Area()
    {
        // Given nine curves whose last values (the ones claims use) sit in the upper right, where a legend used to be
        var runs = new[] { 20, 32, 44, 56, 110 }.Select((d, i) => new CurveRun($"resnet{d}", MetricsRow.Curve(FakeMetrics.Curve(0.80 + i * 0.01, 0.85 + i * 0.01)))).ToArray();

        // When the panel is laid out at its size
        var plot = TrainingCurves.Plots([new CurvePanel("residual nets", runs)])[0];
        using var image = plot.GetImage(TrainingCurves.PanelWidth, TrainingCurves.PanelHeight);

        // Then the legend has its own rectangle, right of the data rectangle, overlapping none of it
        var legend = PlotStyle.LegendRect(plot);
        var data = PlotStyle.DataRect(plot);
        Assert.NotNull(legend);
        Assert.True(legend.Value.Left >= data.Right, $"legend {legend} overlaps data {data}");
        Assert.True(legend.Value.Width > 20 && legend.Value.Right <= TrainingCurves.PanelWidth);
        // and the error axis is fitted to the data (80–94%), not 0–95%
        var limits = plot.Axes.GetLimits();
        Assert.InRange(limits.Bottom, 70, 80);
        Assert.InRange(limits.Top, 90, 100);
    }

    [Fact]
    public void Should_Give_Every_Network_Its_Own_Colour_In_Every_Figure()
    {
        string[] nets = ["plain-20", "plain-32", "plain-44", "plain-56", "resnet20", "resnet32", "resnet44", "resnet56", "resnet110", "resnet1202"];

        Assert.Equal(nets.Length, nets.Select(PlotStyle.ColourOf).Distinct().Count());
        Assert.Equal(PlotStyle.ColourOf("resnet56"), PlotStyle.ColourOf("resnet56"));
    }

    [Fact]
    public void Should_Refuse_A_Run_Without_Metrics()
    {
        var error = Assert.Throws<ArgumentException>(() =>
            TrainingCurves.WriteComparison(Path.Combine(Folder, "empty.png"), [new CurvePanel("p", [new CurveRun("resnet20", [])])]));

        Assert.Contains("resnet20", error.Message);
    }

    internal static SKBitmap Crop(SKBitmap bitmap, int x, int y, int width, int height)
    {
        var part = new SKBitmap(width, height);
        bitmap.ExtractSubset(part, new SKRectI(x, y, x + width, y + height));
        return part;
    }

    internal static int DarkPixels(SKBitmap bitmap, int fromX = 0, int toX = -1)
    {
        var count = 0;
        for (var y = 0; y < bitmap.Height; y++)
            for (var x = fromX; x < (toX < 0 ? bitmap.Width : toX); x++)
            {
                var c = bitmap.GetPixel(x, y);
                if (c.Alpha > 200 && c.Red + c.Green + c.Blue < 3 * 160) count++;
            }
        return count;
    }
}
