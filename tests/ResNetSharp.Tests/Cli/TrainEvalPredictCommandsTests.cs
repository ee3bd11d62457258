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
        var predict = CliRunner.Run("predict", run, Path.Combine(data.Root, "test", "red"), "--json", "--top", "2");
        var onnx = Path.Combine(run, "model.onnx");
        var export = CliRunner.Run("export", run, "--out", onnx);

        // Then each succeeds and reports what it did
        Assert.True(train.ExitCode == 0, train.Stdout + train.Stderr);
        Assert.Contains("done: test error", train.Stdout);
        var resolved = JsonDocument.Parse(File.ReadAllText(Path.Combine(run, "config.json"))).RootElement;
        Assert.Equal("resnet8", resolved.GetProperty("model").GetString());
        Assert.Equal(6, resolved.GetProperty("iterations").GetInt32()); // the flag beat the file
        Assert.Equal(16, resolved.GetProperty("batchSize").GetInt32()); // the file beat the recipe
        Assert.True(eval.ExitCode == 0, eval.Stderr);
        var result = JsonDocument.Parse(eval.Stdout).RootElement.GetProperty("result");
        Assert.Equal(16, result.GetProperty("samples").GetInt32());
        Assert.InRange(result.GetProperty("top1Error").GetDouble(), 0, 1);
        Assert.True(predict.ExitCode == 0, predict.Stderr);
        var predictions = JsonDocument.Parse(predict.Stdout).RootElement.EnumerateArray().ToArray();
        Assert.Equal(8, predictions.Length);
        Assert.All(predictions, p => Assert.Equal(2, p.GetProperty("top").GetArrayLength()));
        Assert.True(export.ExitCode == 0, export.Stderr);
        using var imported = ResNetSharp.Interop.OnnxImport.Load(onnx).Network;
        Assert.Equal(2, imported.Spec.Classes);
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
