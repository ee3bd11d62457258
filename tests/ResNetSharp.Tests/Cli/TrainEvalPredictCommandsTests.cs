using System.Text.Json;
using ResNetSharp.Tests.Training;

namespace ResNetSharp.Tests.Cli;

public sealed class TrainEvalPredictCommandsTests
{
    [Fact]
    public void Should_Train_Then_Evaluate_Then_Predict_From_The_Command_Line()
    {
        // Given a tiny data set and a JSON file that overrides the recipe, and a flag that overrides the file
        using var data = new TinyData();
        var run = Path.Combine(Path.GetTempPath(), "resnetsharp-tests", "cli-run-" + Guid.NewGuid().ToString("n"));
        var config = Path.Combine(data.Root, "config.json");
        File.WriteAllText(config, """{ "model": "resnet8", "batchSize": 16, "iterations": 50, "milestones": [] }""");

        // When it trains, evaluates and predicts through the CLI
        var train = CliRunner.Run("train", "--data", data.Root, "--config", config, "--iterations", "6", "--workers", "1", "--out", run);
        var eval = CliRunner.Run("eval", run, "--json", "--workers", "1");
        var flip = CliRunner.Run("eval", run, "--json", "--workers", "1", "--protocol", "flip");
        var predict = CliRunner.Run("predict", run, Path.Combine(data.Root, "test", "red"), "--json", "--top", "2");
        var onnx = Path.Combine(run, "model.onnx");
        var export = CliRunner.Run("export", run, "--out", onnx);

        // Then each succeeds and reports what it did
        Assert.True(train.ExitCode == 0, train.Stdout + train.Stderr);
        Assert.Contains("done: test error", train.Stdout);
        var doneLine = System.Text.RegularExpressions.Regex.Replace(train.Stdout, @"\s+", " ");
        Assert.Contains("of the latest checkpoint latest.ckpt", doneLine); // which checkpoint the number belongs to
        Assert.Contains("in best.ckpt (what eval and predict load for the run folder)", doneLine);
        var resolved = JsonDocument.Parse(File.ReadAllText(Path.Combine(run, "config.json"))).RootElement;
        Assert.Equal("resnet8", resolved.GetProperty("model").GetString());
        Assert.Equal(6, resolved.GetProperty("iterations").GetInt32()); // the flag beat the file
        Assert.Equal(16, resolved.GetProperty("batchSize").GetInt32()); // the file beat the recipe
        Assert.True(eval.ExitCode == 0, eval.Stderr);
        var result = JsonDocument.Parse(eval.Stdout).RootElement.GetProperty("result");
        Assert.Equal(16, result.GetProperty("samples").GetInt32());
        Assert.EndsWith("best.ckpt", JsonDocument.Parse(eval.Stdout).RootElement.GetProperty("checkpoint").GetString());
        Assert.InRange(result.GetProperty("top1Error").GetDouble(), 0, 1);
        Assert.StartsWith("single view", result.GetProperty("protocol").GetString());
        Assert.True(flip.ExitCode == 0, flip.Stderr);
        var flipped = JsonDocument.Parse(flip.Stdout).RootElement.GetProperty("result");
        Assert.StartsWith("flip-averaged", flipped.GetProperty("protocol").GetString());
        Assert.Equal(16, flipped.GetProperty("samples").GetInt32());
        Assert.True(predict.ExitCode == 0, predict.Stderr);
        var predictions = JsonDocument.Parse(predict.Stdout).RootElement.EnumerateArray().ToArray();
        Assert.Equal(8, predictions.Length);
        Assert.All(predictions, p => Assert.Equal(2, p.GetProperty("top").GetArrayLength()));
        Assert.True(export.ExitCode == 0, export.Stderr);
        using var imported = ResNetSharp.Interop.OnnxImport.Load(onnx).Network;
        Assert.Equal(2, imported.Spec.Classes);
    }

    [Fact]
    public void Should_Predict_From_An_Onnx_File_And_From_Its_Imported_Checkpoint_Alike()
    {
        // Given a model trained briefly and exported to ONNX (class names and normalisation in its metadata)
        using var data = new TinyData();
        var run = Path.Combine(Path.GetTempPath(), "resnetsharp-tests", "cli-import-" + Guid.NewGuid().ToString("n"));
        var train = CliRunner.Run("train", "--data", data.Root, "--model", "resnet8", "--batch-size", "16", "--iterations", "4", "--workers", "1", "--out", run);
        Assert.True(train.ExitCode == 0, train.Stdout + train.Stderr);
        var onnx = Path.Combine(run, "model.onnx");
        Assert.Equal(0, CliRunner.Run("export", run, "--out", onnx).ExitCode);

        // When the ONNX file is imported to a checkpoint, and both predict the same images
        var checkpoint = Path.Combine(run, "imported.ckpt");
        var import = CliRunner.Run("import", onnx, "--out", checkpoint, "--json");
        var images = Path.Combine(data.Root, "test");
        var fromOnnx = CliRunner.Run("predict", onnx, images, "--json", "--top", "2");
        var fromCheckpoint = CliRunner.Run("predict", checkpoint, images, "--json", "--top", "2");

        // Then the import reports the network and the class names it found, and both predictions are the same
        Assert.True(import.ExitCode == 0, import.Stderr);
        var report = JsonDocument.Parse(import.Stdout).RootElement;
        Assert.True(report.GetProperty("outputIsLogits").GetBoolean());
        var classes = report.GetProperty("classes").EnumerateArray().Select(c => c.GetString()).ToArray();
        Assert.Equal(Directory.GetDirectories(images).Select(Path.GetFileName).Order(StringComparer.Ordinal), classes);
        Assert.True(fromOnnx.ExitCode == 0, fromOnnx.Stderr);
        Assert.True(fromCheckpoint.ExitCode == 0, fromCheckpoint.Stderr);
        Assert.Equal(fromOnnx.Stdout, fromCheckpoint.Stdout);
        var first = JsonDocument.Parse(fromOnnx.Stdout).RootElement[0].GetProperty("top")[0];
        Assert.Contains(first.GetProperty("class").GetString(), classes);
    }

    [Fact]
    public void Should_Refuse_To_Import_A_File_That_Is_Not_Onnx()
    {
        var file = Path.GetTempFileName();
        try
        {
            File.WriteAllText(file, "not a model");
            var result = CliRunner.Run("import", file, "--out", file + ".ckpt");
            Assert.Equal(2, result.ExitCode);
            Assert.Contains("is not an ONNX model", result.Stderr);
            Assert.False(File.Exists(file + ".ckpt"));
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public void Should_Keep_Switches_Set_By_The_Recipe_Or_File_Unless_Their_Flags_Are_Given()
    {
        // Given the cifar-cpu recipe (no weight decay on BN and biases) and a file that turns Nesterov momentum on
        using var data = new TinyData(perClass: 4, testPerClass: 2);
        var run = Path.Combine(Path.GetTempPath(), "resnetsharp-tests", "cli-flags-" + Guid.NewGuid().ToString("n"));
        var config = Path.Combine(data.Root, "nesterov.json");
        File.WriteAllText(config, """{ "nesterov": true }""");

        // When it trains with neither --nesterov nor --no-decay-norm-bias given
        var train = CliRunner.Run("train", "--recipe", "cifar-cpu", "--config", config, "--data", data.Root, "--model", "resnet8", "--batch-size", "8",
            "--iterations", "1", "--workers", "1", "--out", run);

        // Then both switches keep their values: absent flags override nothing
        Assert.True(train.ExitCode == 0, train.Stdout + train.Stderr);
        var resolved = JsonDocument.Parse(File.ReadAllText(Path.Combine(run, "config.json"))).RootElement;
        Assert.True(resolved.GetProperty("nesterov").GetBoolean());
        Assert.False(resolved.GetProperty("decayNormAndBias").GetBoolean());
        Assert.Equal(0.1, resolved.GetProperty("labelSmoothing").GetDouble());
    }

    [Fact]
    public void Should_Refuse_Epochs_And_Iterations_Together()
    {
        using var data = new TinyData(perClass: 2, testPerClass: 1);

        var result = CliRunner.Run("train", "--data", data.Root, "--epochs", "25", "--iterations", "2");

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("--epochs or --iterations", result.Stderr);
    }

    [Theory]
    [InlineData("--augmentation", "cifar, imagenet, imagenet-rrc or none")]
    [InlineData("--normalization", "per-pixel-mean or per-channel")]
    [InlineData("--progressive-mode", "resize or crop")]
    public void Should_Reject_An_Unknown_Option_Name_Listing_The_Valid_Ones(string flag, string valid)
    {
        using var data = new TinyData(perClass: 2, testPerClass: 1);

        var result = CliRunner.Run("train", "--data", data.Root, flag, "squeeze");

        Assert.Equal(2, result.ExitCode);
        Assert.Contains($"'squeeze'. Use {valid}.", result.Stderr);
        Assert.Single(result.Stderr.Trim().Split('\n'));
    }

    [Fact]
    public void Should_Reject_An_Unknown_Config_Field_By_Name()
    {
        using var data = new TinyData(perClass: 2, testPerClass: 1);
        var config = Path.Combine(data.Root, "bad.json");
        File.WriteAllText(config, """{ "learningRat": 0.1 }""");

        var result = CliRunner.Run("train", "--data", data.Root, "--config", config);

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("learningRat", result.Stderr);
        Assert.Contains("learningRate", result.Stderr);
    }
}
