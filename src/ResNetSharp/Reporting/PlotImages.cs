using ResNetSharp.Runtime;
using ScottPlot;
using SkiaSharp;

namespace ResNetSharp.Reporting;

/// <summary>Renders ScottPlot plots into one PNG, side by side or stacked.</summary>
static class PlotImages
{
    public static void SaveSideBySide(string pngPath, IReadOnlyList<Plot> plots, int width, int height) =>
        Save(pngPath, plots, width, height, vertical: false);

    public static void SaveStacked(string pngPath, IReadOnlyList<Plot> plots, int width, int height) =>
        Save(pngPath, plots, width, height, vertical: true);

    static void Save(string pngPath, IReadOnlyList<Plot> plots, int width, int height, bool vertical)
    {
        var directory = Path.GetDirectoryName(Path.GetFullPath(pngPath));
        if (directory is not null) Directory.CreateDirectory(directory);
        var total = new SKImageInfo(vertical ? width : width * plots.Count, vertical ? height * plots.Count : height);
        using var surface = SKSurface.Create(total)
            ?? throw new InvalidOperationException($"SkiaSharp could not create a {total.Width}x{total.Height} image; the native SkiaSharp library may be missing.");
        surface.Canvas.Clear(SKColors.White);
        for (var i = 0; i < plots.Count; i++)
        {
            // each plot clears the canvas it renders on, so it gets its own and is copied in place
            using var panel = SKSurface.Create(new SKImageInfo(width, height))!;
            plots[i].Render(panel);
            using var snapshot = panel.Snapshot();
            surface.Canvas.DrawImage(snapshot, vertical ? 0 : i * width, vertical ? i * height : 0);
        }
        using var image = surface.Snapshot();
        using var png = image.Encode(SKEncodedImageFormat.Png, 100);
        AtomicFile.Write(pngPath, png.SaveTo);
    }
}
