using Microsoft.ML.OnnxRuntime;
using ResNetSharp.Data;
using ResNetSharp.Inference;
using ResNetSharp.Interop;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace ResNetSharp.Tests.Interop;

/// <summary>
/// ML.NET's pretrained ResNet-18 (NuGet Microsoft.ML.DnnImageFeaturizer.ResNet18) with its real preprocessing
/// (ResNetPreprocess.onnx: RGB→BGR, 0..255, minus a 224x224 mean image), run on real photographs (Photos/) by the
/// project's own path (decode, resize, crop, Normalization, imported network) against ONNX Runtime running both graphs.
/// </summary>
public sealed class ThirdPartyPreprocessingTests(ITestOutputHelper output)
{
    static readonly string ResNet18 = Path.Combine(AppContext.BaseDirectory, "DnnImageModels", "ResNet18Onnx", "ResNet18.onnx");
    static readonly string Preprocess = Path.Combine(AppContext.BaseDirectory, "DnnImageModels", "ResNetPrepOnnx", "ResNetPreprocess.onnx");

    /// <summary>The real photographs shipped with the tests (4 photos, 451x300 to 640x427).</summary>
    public static string[] Photos() => [.. Directory.GetFiles(Path.Combine(AppContext.BaseDirectory, "Photos"), "*.jpg").Order(StringComparer.Ordinal)];

    [Fact]
    public void Should_Read_MlNet_Preprocessing_Graph_As_Bgr_Bytes_Minus_A_Mean_Image()
    {
        // Given ML.NET's preprocessing graph (Split, Concat in B, G, R order, Sub MeanImage [1, 3, 224, 224])
        // When it is read
        var pre = OnnxImport.LoadPreprocessing(Preprocess);

        // Then it says BGR, pixels 0..255, a 224x224 mean image, no division, a 224 crop
        Assert.Equal(ChannelOrder.Bgr, pre.ChannelOrder);
        Assert.Equal(255f, pre.PixelRange);
        Assert.Equal((224, 224), (pre.MeanHeight, pre.MeanWidth));
        Assert.Equal(3 * 224 * 224, pre.Mean.Count);
        Assert.Equal([1f, 1f, 1f], pre.Std);
        Assert.Equal(224, pre.InputSize);
        Assert.InRange(pre.Mean.Average(), 50f, 200f); // byte-valued means, not [0, 1]
        output.WriteLine(pre.ToString());
    }

    [Fact]
    public void Should_Retrieve_Each_Photo_From_Its_Mirror_Image_By_Nearest_Neighbour()
    {
        // Given the imported network with its preprocessing, the photos and their left-right mirrors
        var imported = OnnxImport.Load(ResNet18);
        using var classifier = new ImageClassifier(imported.Network, imported.EffectiveClassNames, OnnxImport.LoadPreprocessing(Preprocess), hasTrainedClassifier: false);
        var photos = Photos().Select(ImageDecoder.DecodeFile).ToArray();
        var mirrors = photos.Select(Mirror).ToArray();

        // When the features of all of them are compared
        var features = classifier.Features([.. photos, .. mirrors]);
        var nearest = FeatureFiles.Nearest(features, 1);

        // Then each mirror's nearest neighbour is its own photo
        for (var i = 0; i < mirrors.Length; i++)
        {
            output.WriteLine($"mirror {i}: nearest {nearest[photos.Length + i][0].Index} (cosine {nearest[photos.Length + i][0].Cosine:F3})");
            Assert.Equal(i, nearest[photos.Length + i][0].Index);
        }
    }

    static RgbImage Mirror(RgbImage image)
    {
        var pixels = new byte[image.Width * image.Height * 3];
        for (var y = 0; y < image.Height; y++)
            for (var x = 0; x < image.Width; x++)
                for (var c = 0; c < 3; c++) pixels[(y * image.Width + x) * 3 + c] = image[image.Width - 1 - x, y, c];
        return new RgbImage(image.Width, image.Height, pixels);
    }

    [Fact]
    public void Should_Give_OnnxRuntime_Features_On_Real_Photos_Through_Our_Own_Path()
    {
        // Given the imported network, its recognised preprocessing, and ONNX Runtime sessions of both graphs
        var photos = Photos();
        Assert.True(photos.Length >= 4, $"expected the test photos next to the tests, found {photos.Length}");
        var imported = OnnxImport.Load(ResNet18);
        var pre = OnnxImport.LoadPreprocessing(Preprocess);
        using var classifier = new ImageClassifier(imported.Network, imported.EffectiveClassNames, pre, hasTrainedClassifier: false);
        using var torchvisionGuess = new ImageClassifier(OnnxImport.Load(ResNet18).Network, imported.EffectiveClassNames, ImagePreprocessing.ImageNet with { ResizeShorterSide = null }, hasTrainedClassifier: false);
        using var options = OnnxRunner.Options();
        using var prep = new InferenceSession(Preprocess, options);
        using var session = new InferenceSession(ResNet18, options);

        var worst = 1.0;
        var wrongWorst = 1.0;
        var features = new List<float[]>();
        foreach (var photo in photos)
        {
            // When each photo goes through our path: decode, resize, crop, BGR, minus the mean image, network
            var image = ImageDecoder.DecodeFile(photo);
            var ours = classifier.Features([image])[0];
            features.Add(ours);

            // ... and through ONNX Runtime: the same resized 224x224 view as float RGB bytes, then both graphs
            var view = new byte[224 * 224 * 3];
            var random = SampleRandom.For(0, 0, 0);
            pre.View().Apply(image, ref random, view, new float[3]);
            using var pixels = tensor(view, [224, 224, 3]).permute(2, 0, 1).to_type(ScalarType.Float32).unsqueeze(0).contiguous();
            using var preprocessed = OnnxRunner.Run(prep, pixels, "PreprocessedInput");
            using var reference = OnnxRunner.Run(session, preprocessed, imported.OutputName);
            var theirs = reference.reshape(-1).data<float>().ToArray();

            var cosine = FeatureFiles.Cosine(ours, theirs);
            var assumed = FeatureFiles.Cosine(torchvisionGuess.Features([image])[0], theirs);
            output.WriteLine($"{Path.GetFileName(photo)} ({image.Width}x{image.Height}): cosine {cosine:F6} with the recognised preprocessing, {assumed:F4} with torchvision's assumed");
            worst = Math.Min(worst, cosine);
            wrongWorst = Math.Min(wrongWorst, assumed);
        }

        // Then every photo's features agree with ONNX Runtime's (cosine ≥ 0.999), while the assumed torchvision preprocessing does not
        Assert.InRange(worst, 0.999, 1.0001);
        Assert.True(wrongWorst < 0.99, $"torchvision's preprocessing should give different features (worst cosine {wrongWorst:F4})");
    }
}
