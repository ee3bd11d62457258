using System.Diagnostics;
using System.Text.Json;
using ResNetSharp.Pretrained;
using ResNetSharp.Tests.Pretrained;

namespace ResNetSharp.Tests.Cli;

public sealed class ReleaseCommandTests
{
    [Fact]
    public void Should_Release_A_Run_And_Use_It_With_Pretrained_On_Predict_Eval_Export_And_Models()
    {
        // Given a tiny run trained from the command line on the embedded sample
        var root = Path.Combine(Path.GetTempPath(), "resnetsharp-tests", "cli-release-" + Guid.NewGuid().ToString("n"));
        var sample = Path.GetDirectoryName(PretrainedCheck.SampleTestFolder)!;
        var run = Path.Combine(root, "run");
        var train = Run("train", "--data", sample, "--model", "resnet8", "--iterations", "8", "--batch-size", "32", "--milestones", "4,6",
            "--lr", "0.05", "--seed", "3", "--workers", "1", "--out", run);
        Assert.True(train.ExitCode == 0, train.Stdout + train.Stderr);

        // When it is released, and the release is used by name and by folder
        var releases = Path.Combine(root, "pretrained");
        var release = Run("release", run, "--name", "resnet8-cifar10", "--out", releases, "--workers", "1", "--json");
        var folder = Path.Combine(releases, "resnet8-cifar10");
        var env = new Dictionary<string, string> { [PretrainedCatalog.EnvironmentVariable] = releases };
        var predict = Run("predict", "--pretrained", folder, Path.Combine(sample, "test", "cat"), "--json", "--top", "1");
        var eval = RunWith(env, "eval", "--pretrained", "resnet8-cifar10", "--data", sample, "--workers", "1", "--json");
        var models = RunWith(env, "models", "resnet8", "--json");
        var onnx = Path.Combine(root, "resnet8.onnx");
        var export = Run("export", "--pretrained", folder, "--out", onnx);
        var again = Run("release", run, "--name", "resnet8-cifar10", "--out", releases);

        // Then the card holds the run's command and the measured errors, and every command uses the released weights
        Assert.True(release.ExitCode == 0, release.Stderr);
        var card = JsonDocument.Parse(release.Stdout).RootElement;
        var single = card.GetProperty("singleView").GetProperty("top1Error").GetDouble();
        Assert.Equal(2000, card.GetProperty("singleView").GetProperty("images").GetInt32());
        Assert.Equal(card.GetProperty("weights").GetProperty("sha256").GetString(), PretrainedModel.Sha256Of(Path.Combine(folder, PretrainedModel.WeightsFile)));
        foreach (var file in new[] { "card.json", "MODEL_CARD.md", "model.safetensors", "config.json", "metrics.csv", "curve.png" })
            Assert.True(File.Exists(Path.Combine(folder, file)), $"{file} is missing");

        Assert.True(predict.ExitCode == 0, predict.Stderr);
        Assert.Equal(200, JsonDocument.Parse(predict.Stdout).RootElement.GetArrayLength());
        Assert.True(eval.ExitCode == 0, eval.Stderr);
        Assert.Equal(single, JsonDocument.Parse(eval.Stdout).RootElement.GetProperty("result").GetProperty("top1Error").GetDouble(), 6);
        Assert.True(models.ExitCode == 0, models.Stderr);
        var listed = JsonDocument.Parse(models.Stdout).RootElement.EnumerateArray().Single(m => m.GetProperty("name").GetString() == "resnet8");
        var weights = listed.GetProperty("pretrained").EnumerateArray().Single();
        Assert.Equal("resnet8-cifar10", weights.GetProperty("name").GetString());
        Assert.Equal(single, weights.GetProperty("top1Error").GetDouble(), 6);
        Assert.True(export.ExitCode == 0, export.Stderr);
        Assert.True(new FileInfo(onnx).Length > 0);
        Assert.Equal(2, again.ExitCode);
        Assert.Contains("--force", again.Stderr);

        // And the card's command names the data by its file name only (no path of this machine), and run again with
        // the data where the user has it, it resolves to the same configuration
        var arguments = card.GetProperty("commandArguments").EnumerateArray().Select(a => a.GetString()!).ToArray();
        Assert.Equal("train", arguments[0]);
        var data = Array.IndexOf(arguments, "--data") + 1;
        Assert.Equal(Path.GetFileName(sample), arguments[data]);
        arguments[data] = sample;
        var rerun = Path.Combine(root, "rerun");
        var repeat = Run([.. arguments, "--out", rerun]);
        Assert.True(repeat.ExitCode == 0, repeat.Stdout + repeat.Stderr);
        Assert.Equal(File.ReadAllText(Path.Combine(run, "config.json")), File.ReadAllText(Path.Combine(rerun, "config.json")));
    }

    [Fact]
    public void Should_Reject_Changed_Weights_And_Unknown_Names_With_One_Line()
    {
        // Given a release folder whose weights do not match its card, and a name nobody released
        var folder = Path.Combine(Path.GetTempPath(), "resnetsharp-tests", "cli-tampered-" + Guid.NewGuid().ToString("n"));
        Directory.CreateDirectory(folder);
        File.WriteAllBytes(Path.Combine(folder, PretrainedModel.WeightsFile), [1, 2, 3, 4, 5, 6, 7, 8, 9]);
        File.WriteAllText(Path.Combine(folder, PretrainedModel.CardFile), $$"""
            { "format": "{{ModelCard.FormatTag}}", "name": "x", "network": "resnet8", "dataset": "cifar10", "description": "", "parameters": 0,
              "recipe": "paper-cifar", "config": {}, "command": "", "commandArguments": [], "seed": 0, "iterations": 0, "epochs": 0,
              "trainingSeconds": 0, "checkpoint": "latest.ckpt", "evaluatedOnSample": true,
              "singleView": { "data": "", "protocol": "", "images": 0, "top1Error": 0, "top5Error": 0 },
              "flipAveraged": { "data": "", "protocol": "", "images": 0, "top1Error": 0, "top5Error": 0 },
              "preprocessing": { "channelOrder": "RGB", "scale": 1, "mean": "per-pixel", "meanShape": [], "channelMeans": [], "std": [], "inputSize": 32, "view": "", "where": "" },
              "classes": [], "weights": { "file": "model.safetensors", "bytes": 9, "sha256": "{{new string('0', 64)}}", "tensors": 0 },
              "released": "", "tool": "" }
            """);

        // When predict, eval and export are pointed at them
        var image = Path.Combine(PretrainedCheck.SampleTestFolder, "cat");
        var predict = Run("predict", "--pretrained", folder, image);
        var eval = Run("eval", "--pretrained", folder);
        var export = Run("export", "--pretrained", "resnet9000-cifar10", "--out", Path.Combine(folder, "x.onnx"));

        // Then each exits 2 with one line saying what is wrong
        foreach (var r in new[] { predict, eval })
        {
            Assert.Equal(2, r.ExitCode);
            Assert.Contains("does not match its model card: SHA-256", r.Stderr);
            Assert.Single(r.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        }
        Assert.Equal(2, export.ExitCode);
        Assert.Contains("No pretrained network 'resnet9000-cifar10'", export.Stderr);
    }

    static CliRunner.Result Run(params string[] args) => RunWith(new Dictionary<string, string>(), args);

    static CliRunner.Result RunWith(IReadOnlyDictionary<string, string> environment, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "resnet.dll"));
        foreach (var a in args) start.ArgumentList.Add(a);
        foreach (var (key, value) in environment) start.Environment[key] = value;
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(5)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"resnet {string.Join(' ', args)} did not finish in 5 minutes.");
        }
        return new CliRunner.Result(process.ExitCode, stdout.Result, stderr.Result);
    }
}
