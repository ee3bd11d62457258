using ResNetSharp.Data;
using ResNetSharp.Inference;
using ResNetSharp.Models;
using ResNetSharp.Tests.Data;
using SkiaSharp;

namespace ResNetSharp.Tests.Inference;

public sealed class ImageClassifierTests
{
    [Fact]
    public void Should_Classify_Images_Of_Every_Mode_And_Report_Unreadable_Ones()
    {
        // Given a classifier and photos of several modes and sizes, plus a corrupt file
        var folder = Path.Combine(Path.GetTempPath(), "resnetsharp-tests", "predict-" + Guid.NewGuid().ToString("n"));
        Directory.CreateDirectory(folder);
        var files = new Dictionary<string, byte[]>
        {
            ["gray.jpg"] = TestImages.GrayJpeg(40, 30, 120),
            ["cmyk.jpg"] = TestImages.CmykJpeg(10, 200, 30, 0),
            ["alpha.png"] = TestImages.Encode(TestImages.Coordinates(50, 70), SKEncodedImageFormat.Png, alpha: 128),
            ["palette.png"] = TestImages.PalettePng(20, 20, [(255, 0, 0), (0, 0, 255)]),
            ["photo.webp"] = TestImages.Encode(TestImages.Coordinates(64, 48), SKEncodedImageFormat.Webp, quality: 90),
            ["broken.jpg"] = [0xFF, 0xD8, 0xFF, 0x00, 1, 2, 3],
        };
        foreach (var (name, bytes) in files) File.WriteAllBytes(Path.Combine(folder, name), bytes);
        using var classifier = new ImageClassifier(new ResNet(ModelZoo.Get("resnet8") with { Classes = 4 }), ["w", "x", "y", "z"], Normalization.None, 32);

        // When the folder is classified with and without 10-crop
        var single = classifier.ClassifyFiles([folder], topK: 3);
        var tenCrop = classifier.ClassifyFiles([folder], topK: 3, tenCrop: true);

        // Then every readable image has its top 3 classes, most probable first, and the broken one an error
        foreach (var predictions in new[] { single, tenCrop })
        {
            Assert.Equal(files.Count, predictions.Count);
            var broken = Assert.Single(predictions, p => p.Error is not null);
            Assert.EndsWith("broken.jpg", broken.Source);
            foreach (var p in predictions.Where(p => p.Error is null))
            {
                Assert.Equal(3, p.Top.Count);
                Assert.True(p.Top[0].Probability >= p.Top[1].Probability && p.Top[1].Probability >= p.Top[2].Probability);
                Assert.InRange(p.Top.Sum(t => t.Probability), 0, 1.0001);
                Assert.Contains(p.Top[0].Class, new[] { "w", "x", "y", "z" });
            }
        }
    }
}
