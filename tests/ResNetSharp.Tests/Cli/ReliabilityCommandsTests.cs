using System.Diagnostics;
using System.Text.Json;
using ResNetSharp.Cli;
using ResNetSharp.Data;
using ResNetSharp.Evaluation;
using ResNetSharp.Models;
using ResNetSharp.Runtime;
using ResNetSharp.Tests.Data;
using ResNetSharp.Tests.Training;
using ResNetSharp.Training;
using static TorchSharp.torch;

namespace ResNetSharp.Tests.Cli;

/// <summary>
/// Issue 14 end to end: the built CLI attacked as a careless or hostile user would, each failure ending in one
/// line on stderr and a documented exit code; crashes are real (SIGKILL through the test crash point, signals).
/// </summary>
public sealed class ReliabilityCommandsTests
{
    static string RunFolder() => Path.Combine(Path.GetTempPath(), "resnetsharp-tests", "cli-rel-" + Guid.NewGuid().ToString("n"));

    static string[] Train(TinyData data, string run, int iterations, string lr = "0.05", params string[] more) =>
        ["train", "--data", data.Root, "--model", "resnet8", "--batch-size", "16", "--iterations", iterations.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--milestones", "", "--lr", lr, "--workers", "1", "--eval-every", "4", "--log-every", "2", "--out", run, .. more];

    static Dictionary<string, string> KillAt(string point) => new() { ["RESNETSHARP_TEST_KILL_AT"] = point };

    /// <summary>One line on stderr, no stack trace.</summary>
    static void AssertOneLine(CliRunner.Result result, int code)
    {
        Assert.True(result.ExitCode == code, $"exit {result.ExitCode}\n{result.Stdout}\n{result.Stderr}");
        var lines = result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => !l.StartsWith("note:", StringComparison.Ordinal)).ToArray();
        Assert.True(lines.Length == 1, result.Stderr);
        Assert.StartsWith("error: ", lines[0]);
        Assert.DoesNotContain("   at ", result.Stderr);
    }

    static void WaitForLine(Process process, string prefix)
    {
        while (process.StandardOutput.ReadLine() is { } line)
        {
            if (line.StartsWith(prefix, StringComparison.Ordinal)) return;
        }
        throw new InvalidOperationException($"the process ended before printing '{prefix}': {process.StandardError.ReadToEnd()}");
    }

    [Fact]
    public void Should_Report_A_Huge_Header_Png_Instead_Of_Crashing_In_Predict()
    {
        // Given a run and a 69-byte PNG declaring 100000 x 100000 pixels (SIGSEGV before)
        using var data = new TinyData();
        var run = RunFolder();
        Assert.Equal(0, CliRunner.Run(Train(data, run, 4)).ExitCode);
        var png = Path.Combine(data.Root, "huge.png");
        File.WriteAllBytes(png, TestImages.HugeHeaderPng(100_000, 100_000));

        var predict = CliRunner.Run("predict", run, png);

        Assert.Equal(ExitCodes.UserError, predict.ExitCode);
        Assert.Contains("100000x100000", predict.Stdout.ReplaceLineEndings(""));
    }

    [Fact]
    public void Should_Refuse_A_Second_Trainer_On_The_Same_Run_Folder_Naming_The_Holder()
    {
        using var data = new TinyData();
        var run = RunFolder();

        // Given a trainer busy in the folder
        using var first = CliRunner.Start(null, Train(data, run, 1_000_000));
        WaitForLine(first, "it ");

        // When a second one is started on the same --out
        var second = CliRunner.Run(Train(data, run, 1_000_000));

        // Then it refuses in one line naming the holder, and the first one's lock dies with it
        AssertOneLine(second, ExitCodes.UserError);
        Assert.Contains($"process {first.Id}", second.Stderr);
        first.Kill();
        first.WaitForExit();
        using var free = RunLock.Acquire(run);
    }

    [Fact]
    public void Should_Keep_Eval_Working_When_Killed_Between_The_Temp_Write_And_The_Rename_Of_Best()
    {
        using var data = new TinyData();
        var run = RunFolder();

        // Given a trainer killed (SIGKILL) after writing best.ckpt's temporary file, before renaming it
        var killed = CliRunner.RunWith(KillAt("before-rename:best.ckpt"), Train(data, run, 8));
        Assert.Equal(137, killed.ExitCode);
        Assert.Single(Directory.GetFiles(run, ".best.ckpt.*.tmp"));

        // When the run folder is evaluated and then resumed
        var eval = CliRunner.Run("eval", run, "--json", "--workers", "1");
        var resume = CliRunner.Run("train", "--resume", run);

        // Then eval uses the intact latest checkpoint, and the resume removes the stale file and finishes
        Assert.True(eval.ExitCode == 0, eval.Stderr);
        Assert.Equal(Path.Combine(run, ResNetSharp.Training.RunFolder.LatestFile), JsonDocument.Parse(eval.Stdout).RootElement.GetProperty("checkpoint").GetString());
        Assert.True(resume.ExitCode == 0, resume.Stdout + resume.Stderr);
        Assert.Contains("removed 1 temporary file", resume.Stdout);
        Assert.Empty(Directory.GetFiles(run, ".*.tmp"));
        using var best = Checkpoint.Load(Path.Combine(run, ResNetSharp.Training.RunFolder.BestFile));
    }

    [Theory]
    [InlineData("TERM", 143)]
    [InlineData("INT", 130)]
    public void Should_Stop_On_A_Signal_With_A_Checkpoint_And_Exit_128_Plus_The_Signal(string signal, int code)
    {
        using var data = new TinyData();
        var run = RunFolder();
        using var trainer = CliRunner.Start(null, Train(data, run, 1_000_000));
        WaitForLine(trainer, "it ");

        CliRunner.Signal(trainer, signal);
        var stdout = trainer.StandardOutput.ReadToEnd();
        trainer.WaitForExit();

        Assert.Equal(code, trainer.ExitCode);
        Assert.Contains("interrupted", stdout);
        using var kept = Checkpoint.Load(Path.Combine(run, ResNetSharp.Training.RunFolder.LatestFile));
        Assert.True(kept.Progress.Iteration > 0);
    }

    [Fact]
    public void Should_Read_Metrics_As_If_Never_Stopped_After_Kill_9_And_Resume()
    {
        using var data = new TinyData();
        var whole = RunFolder();
        Assert.Equal(0, CliRunner.Run(Train(data, whole, 12)).ExitCode);

        // Given a run killed (SIGKILL) at iteration 7: checkpoint at 4, rows up to 6 already logged
        var run = RunFolder();
        Assert.Equal(137, CliRunner.RunWith(KillAt("iteration:7"), Train(data, run, 12)).ExitCode);
        Assert.Contains("\n6,", File.ReadAllText(Path.Combine(run, "metrics.csv")));

        // When it is resumed
        var resume = CliRunner.Run("train", "--resume", run);
        Assert.True(resume.ExitCode == 0, resume.Stdout + resume.Stderr);

        // Then metrics.csv and metrics.jsonl equal the uninterrupted run's row for row (all but time and speed)
        static string[][] Csv(string folder) => [.. File.ReadAllLines(Path.Combine(folder, "metrics.csv")).Select(l => l.Split(',')[..6])];
        Assert.Equal(Csv(whole), Csv(run));
        static string[] Jsonl(string folder) => [.. File.ReadAllLines(Path.Combine(folder, "metrics.jsonl")).Select(l =>
        {
            var row = JsonSerializer.Deserialize<MetricsRow>(l, Checkpoint.Json)!;
            return $"{row.Iteration} {row.LearningRate} {row.TrainLoss} {row.TrainError} {row.TestError}";
        })];
        Assert.Equal(Jsonl(whole), Jsonl(run));
    }

    [Fact]
    public void Should_Stop_A_Diverging_Run_In_One_Line_And_Point_Only_To_A_Checkpoint_That_Exists()
    {
        using var data = new TinyData();
        foreach (var skip in new[] { false, true })
        {
            var run = RunFolder();
            var train = CliRunner.Run(Train(data, run, 40, "1e6", skip ? ["--skip-non-finite"] : []));

            AssertOneLine(train, ExitCodes.Diverged);
            Assert.Contains("iteration", train.Stderr);
            var latest = Path.Combine(run, ResNetSharp.Training.RunFolder.LatestFile);
            if (train.Stderr.Contains(latest, StringComparison.Ordinal)) Assert.True(File.Exists(latest));
            else Assert.Contains("No checkpoint was written", train.Stderr);
        }
    }

    [Fact]
    public void Should_Refuse_To_Predict_Or_Evaluate_With_A_Checkpoint_Whose_Outputs_Are_Not_Finite()
    {
        // Given a checkpoint with finite weights whose BN statistics make the outputs NaN
        using var data = new TinyData();
        var run = RunFolder();
        Assert.Equal(0, CliRunner.Run(Train(data, run, 4)).ExitCode);
        var path = Path.Combine(run, "nan.ckpt");
        using (var good = Checkpoint.Load(Path.Combine(run, ResNetSharp.Training.RunFolder.LatestFile)))
        using (var model = good.CreateModel())
        {
            using (no_grad()) model.state_dict()["bn1.running_var"].fill_(-1f);
            Checkpoint.Save(path, model, null, good.Config, good.ClassNames, good.Normalization, good.Progress);
        }

        var predict = CliRunner.Run("predict", path, Path.Combine(data.Root, "test"), "--json");
        var eval = CliRunner.Run("eval", path, "--workers", "1");

        AssertOneLine(predict, ExitCodes.Diverged);
        AssertOneLine(eval, ExitCodes.Diverged);
        Assert.Contains("NaN", eval.Stderr);
    }

    [Fact]
    public void Should_Reject_A_Tampered_Checkpoint_Header_In_One_Line()
    {
        using var data = new TinyData();
        var run = RunFolder();
        Assert.Equal(0, CliRunner.Run(Train(data, run, 4)).ExitCode);
        var latest = Path.Combine(run, ResNetSharp.Training.RunFolder.LatestFile);
        var text = System.Text.Encoding.Latin1.GetString(File.ReadAllBytes(latest));
        File.WriteAllBytes(latest, System.Text.Encoding.Latin1.GetBytes(text.Replace("learningRate\\u0022:0.05", "learningRate\\u0022:9.05", StringComparison.Ordinal)));
        File.Delete(Path.Combine(run, ResNetSharp.Training.RunFolder.BestFile));

        var resume = CliRunner.Run("train", "--resume", run);

        AssertOneLine(resume, ExitCodes.UserError);
        Assert.Contains("sha256_all", resume.Stderr);
    }

    [Theory]
    [InlineData("train", "--lr", "abc")]
    [InlineData("train", "--no-such-flag")]
    [InlineData("models", "--threads", "0")]
    [InlineData("train", "--hang-timeout", "-1")]
    public void Should_Answer_A_Bad_Command_Line_With_One_Line_And_Exit_2(params string[] args)
    {
        var result = CliRunner.Run(args);

        AssertOneLine(result, ExitCodes.UserError);
        Assert.DoesNotContain("(Parameter", result.Stderr);
        Assert.DoesNotContain("Usage", result.Stdout + result.Stderr);
    }

    [Fact]
    public void Should_Say_A_Folder_Holds_No_Checkpoint_When_Exporting_It()
    {
        using var folder = new TempFolder();

        var export = CliRunner.Run("export", folder.Path, "--out", Path.Combine(folder.Path, "x.onnx"));

        AssertOneLine(export, ExitCodes.UserError);
        Assert.Contains("without best.ckpt or latest.ckpt", export.Stderr);
        Assert.DoesNotContain("Unknown network", export.Stderr);
        var verbose = CliRunner.Run("export", folder.Path, "--out", Path.Combine(folder.Path, "x.onnx"), "--verbose");
        Assert.Equal(ExitCodes.UserError, verbose.ExitCode);
        Assert.Contains("   at ", verbose.Stderr); // the stack trace only on request
    }

    [Fact]
    public void Should_Refuse_Partial_Weights_On_Export_Unless_Allowed()
    {
        // Given a weight file holding 1 of resnet20's tensors
        using var folder = new TempFolder();
        var weights = Path.Combine(folder.Path, "one.safetensors");
        using (var net = ModelZoo.Create("resnet20"))
            TensorFile.Write(weights, [KeyValuePair.Create("conv1.weight", net.state_dict()["conv1.weight"])], new Dictionary<string, string>());
        var onnx = Path.Combine(folder.Path, "x.onnx");

        var refused = CliRunner.Run("export", "resnet20", "--weights", weights, "--out", onnx);
        Assert.False(File.Exists(onnx));
        var allowed = CliRunner.Run("export", "resnet20", "--weights", weights, "--out", onnx, "--allow-partial-weights");

        AssertOneLine(refused, ExitCodes.UserError);
        Assert.Contains("--allow-partial-weights", refused.Stderr);
        Assert.True(allowed.ExitCode == 0, allowed.Stderr);
        Assert.True(File.Exists(onnx));
    }

    [Fact]
    public void Should_Leave_No_Run_Folder_When_Train_Fails_At_Once()
    {
        var run = RunFolder();

        var train = CliRunner.Run("train", "--data", Path.Combine(run, "..", "no-such-data-" + Guid.NewGuid().ToString("n")), "--model", "resnet8", "--out", run);

        AssertOneLine(train, ExitCodes.UserError);
        Assert.False(Directory.Exists(run));
    }

    [Theory]
    [MemberData(nameof(Failures))]
    public void Should_Map_Each_Failure_To_Its_Documented_Exit_Code(Exception failure, int code)
    {
        var (actual, message) = ExitCodes.For(failure);

        Assert.Equal(code, actual);
        Assert.DoesNotContain('\n', message);
        Assert.DoesNotContain("(Parameter", message);
    }

    public static TheoryData<Exception, int> Failures() => new()
    {
        { new ArgumentOutOfRangeException("options", 0, "Threads must be at least 1."), ExitCodes.UserError },
        { new FileNotFoundException("No checkpoint at 'x'."), ExitCodes.UserError },
        { new InvalidDataException("'x' is not a valid safetensors file."), ExitCodes.UserError },
        { new ImageFolderException("5 of 25 images could not be read.", []), ExitCodes.UserError },
        { new RunFolderLockedException("Run folder r is in use by process 1."), ExitCodes.UserError },
        { new DiskFullException("The disk holding /r is full.", new IOException("No space left on device", 28)), ExitCodes.EnvironmentError },
        { new UnauthorizedAccessException("Access to '/r' is denied."), ExitCodes.EnvironmentError },
        { new NonFiniteLossException("The loss became NaN at iteration 3."), ExitCodes.Diverged },
        { new NonFiniteOutputException("The network gives NaN outputs."), ExitCodes.Diverged },
        { new NullReferenceException(), ExitCodes.InternalError },
    };
}
