using ResNetSharp.Inference;
using ResNetSharp.Tests.Interop;

namespace ResNetSharp.Tests.Cli;

/// <summary>ML.NET's ResNet-18 feature extractor and its preprocessing graph, used from the command line on real photos.</summary>
public sealed class ThirdPartyModelCommandsTests
{
    static readonly string ResNet18 = Path.Combine(AppContext.BaseDirectory, "DnnImageModels", "ResNet18Onnx", "ResNet18.onnx");
    static readonly string Preprocess = Path.Combine(AppContext.BaseDirectory, "DnnImageModels", "ResNetPrepOnnx", "ResNetPreprocess.onnx");

    [Fact]
    public void Should_Import_With_Its_Preprocessing_Refuse_To_Predict_And_Give_Features_And_Evaluate_Photos()
    {
        var folder = Directory.CreateTempSubdirectory("resnetsharp-thirdparty-").FullName;
        try
        {
            // Given the model imported with its preprocessing graph
            var checkpoint = Path.Combine(folder, "resnet18.ckpt");
            var import = CliRunner.Run("import", ResNet18, "--preprocess", Preprocess, "--out", checkpoint, "--json");
            Assert.True(import.ExitCode == 0, import.Stderr);
            Assert.Contains("BGR, pixels in [0, 255], minus a 224x224 mean image", import.Stdout);
            Assert.Contains("no trained classifier", import.Stdout);

            // When predict, features and eval run on real photos of several sizes
            var photos = Path.Combine(AppContext.BaseDirectory, "Photos");
            var predict = CliRunner.Run("predict", checkpoint, photos);
            var npy = Path.Combine(folder, "features.npy");
            var features = CliRunner.Run("features", checkpoint, photos, "--out", npy, "--nearest", "1");
            var data = Path.Combine(folder, "photos");
            foreach (var split in new[] { "train", "test" })
                foreach (var (file, index) in ThirdPartyPreprocessingTests.Photos().Select((f, i) => (f, i)))
                {
                    var dir = Directory.CreateDirectory(Path.Combine(data, split, $"class{index % 2}")).FullName;
                    File.Copy(file, Path.Combine(dir, Path.GetFileName(file)));
                }
            var eval = CliRunner.Run("eval", checkpoint, "--data", data, "--workers", "1");
            var evalWithoutData = CliRunner.Run("eval", checkpoint);

            // Then predict refuses with what to do instead, features writes one 512-d row per photo,
            Assert.Equal(2, predict.ExitCode);
            Assert.Contains("no trained classifier", predict.Stderr);
            Assert.Contains("resnet features", predict.Stderr);
            Assert.True(features.ExitCode == 0, features.Stderr);
            var rows = FeatureFiles.ReadNpy(npy);
            Assert.Equal(4, rows.Length);
            Assert.All(rows, r => Assert.Equal(512, r.Length));
            Assert.Contains("preprocessing: resize shorter side to 224, centre crop 224, BGR", features.Stderr);

            // ... and eval resizes the photos before the crop (no "does not fit"), saying the preprocessing and the class mismatch
            Assert.True(eval.ExitCode == 0, eval.Stderr);
            Assert.Contains("preprocessing: resize shorter side to 224, centre crop 224, BGR", eval.Stderr);
            Assert.Contains("1000 classes but", eval.Stderr);
            Assert.Contains("no trained classifier", eval.Stderr);
            Assert.Equal(2, evalWithoutData.ExitCode);
            Assert.Contains("give --data", evalWithoutData.Stderr);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void Should_Say_What_It_Assumed_Without_A_Preprocessing_And_Take_Flags()
    {
        var folder = Directory.CreateTempSubdirectory("resnetsharp-thirdparty-").FullName;
        try
        {
            // Given the model imported without and with flags
            var plain = CliRunner.Run("import", ResNet18, "--out", Path.Combine(folder, "a.ckpt"), "--json");
            var flagged = CliRunner.Run("import", ResNet18, "--out", Path.Combine(folder, "b.ckpt"), "--channel-order", "bgr", "--pixel-range", "255",
                "--mean", "103.9,116.8,123.7", "--std", "1,1,1", "--resize", "256", "--json");

            // Then (JSON, no line wrapping) the first says it assumed torchvision's convention, the second states exactly the flags' preprocessing
            Assert.True(plain.ExitCode == 0, plain.Stderr);
            Assert.Contains("not recorded in the model", plain.Stdout);
            Assert.Contains("RGB, pixels in [0, 1], minus mean [0.485, 0.456, 0.406]", plain.Stdout);
            Assert.True(flagged.ExitCode == 0, flagged.Stderr);
            Assert.Contains("resize shorter side to 256, centre crop 224, BGR, pixels in [0, 255], minus mean [103.9, 116.8, 123.7], no division", flagged.Stdout);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void Should_Say_That_An_Export_Without_Weights_Is_Random()
    {
        var file = Path.Combine(Directory.CreateTempSubdirectory("resnetsharp-export-").FullName, "r.onnx");
        var result = CliRunner.Run("export", "resnet20", "--out", file);
        Assert.True(result.ExitCode == 0, result.Stderr);
        Assert.Contains("random", result.Stderr);
    }
}
