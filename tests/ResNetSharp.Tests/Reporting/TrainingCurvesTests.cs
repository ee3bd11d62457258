using ResNetSharp.Reporting;
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
        TrainingCurves.Write(png, rows, "ResNet-20 on CIFAR-10");

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
            [.. new[] { 20, 32, 44, 56 }.Select((d, i) => new CurveRun($"{d}-layer", FakeMetrics.Curve(trains[i], trains[i] + 0.06)))]);
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
