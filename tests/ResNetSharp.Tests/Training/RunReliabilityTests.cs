using System.Buffers.Binary;
using System.Text;
using System.Text.Json.Nodes;
using ResNetSharp.Data;
using ResNetSharp.Models;
using ResNetSharp.Runtime;
using ResNetSharp.Tests.Data;
using ResNetSharp.Training;
using static TorchSharp.torch;

namespace ResNetSharp.Tests.Training;

/// <summary>Crashes, interruptions, tampering and full disks lose nothing (issue 14, items 3-7, 9-12).</summary>
[Collection(SeededCollection.Name)]
public sealed class RunReliabilityTests
{
    static string RunFolder() => Path.Combine(Path.GetTempPath(), "resnetsharp-tests", "rel-" + Guid.NewGuid().ToString("n"));

    static void AssertSameRows(IReadOnlyList<MetricsRow> expected, IReadOnlyList<MetricsRow> actual)
    {
        Assert.Equal(expected.Select(r => r.Iteration), actual.Select(r => r.Iteration));
        for (var i = 0; i < expected.Count; i++)
        {
            Assert.Equal(expected[i].LearningRate, actual[i].LearningRate);
            Assert.Equal(expected[i].TrainLoss, actual[i].TrainLoss);
            Assert.Equal(expected[i].TrainError, actual[i].TrainError);
            Assert.Equal(expected[i].TestError, actual[i].TestError);
        }
    }

    [Theory]
    [InlineData(4)] // the stop request arrives in the step before an evaluation, so it lands in the evaluation
    [InlineData(5)] // mid-window: the first row after the resume must average steps from before and after
    public void Should_Write_A_Checkpoint_When_Interrupted_During_Evaluation_And_Resume_As_If_Never_Stopped(int at)
    {
        using var data = new TinyData();
        var config = data.Config(12);
        var whole = TrainingRun.Run(config, RunFolder());

        // Given a run stopped at iteration `at`
        var folder = RunFolder();
        using var cancel = new CancellationTokenSource();
        var first = TrainingRun.Run(config, folder, new CancelAt(at, cancel), cancel.Token);

        // Then it stopped cleanly with a checkpoint at that iteration, and no row of an unfinished evaluation
        Assert.True(first.Interrupted);
        using (var kept = Checkpoint.Load(Path.Combine(folder, ResNetSharp.Training.RunFolder.LatestFile))) Assert.Equal(at, kept.Progress.Iteration);
        Assert.DoesNotContain(first.Metrics, r => r.Iteration >= at);

        // And when resumed, its rows equal the uninterrupted run's, row for row
        var resumed = TrainingRun.Resume(folder);
        AssertSameRows(whole.Metrics, resumed.Metrics);
    }

    [Fact]
    public void Should_Refuse_A_Second_Lock_On_A_Run_Folder_Naming_The_Holder_And_Release_It_With_The_Holder()
    {
        var folder = RunFolder();
        using (RunLock.Acquire(folder))
        {
            var e = Assert.Throws<RunFolderLockedException>(() => RunLock.Acquire(folder));
            Assert.Contains($"process {Environment.ProcessId}", e.Message);
            using var data = new TinyData();
            Assert.Throws<RunFolderLockedException>(() => TrainingRun.Run(data.Config(2), folder));
        }
        using var again = RunLock.Acquire(folder); // released with its holder
    }

    [Fact]
    public void Should_Use_The_Latest_Checkpoint_When_The_Best_One_Is_Damaged()
    {
        using var data = new TinyData();
        var result = TrainingRun.Run(data.Config(4), RunFolder());
        File.WriteAllBytes(result.BestCheckpoint!, []); // what a kill during the old in-place copy left

        var notes = new List<string>();
        var path = ResNetSharp.Training.RunFolder.Checkpoint(result.RunDirectory, notes.Add);

        Assert.Equal(result.LatestCheckpoint, path);
        Assert.Contains(ResNetSharp.Training.RunFolder.BestFile, Assert.Single(notes));
        using var loaded = Checkpoint.Load(path);
    }

    [Theory]
    [InlineData("learningRate\\u0022:0.05", "learningRate\\u0022:9.05")] // --resume would train at 9.05
    [InlineData("\"progress\":\"{\\u0022iteration\\u0022:4", "\"progress\":\"{\\u0022iteration\\u0022:8")]
    public void Should_Reject_A_Checkpoint_Whose_Header_Was_Edited(string from, string to)
    {
        using var data = new TinyData();
        var result = TrainingRun.Run(data.Config(4), RunFolder());
        var bytes = File.ReadAllBytes(result.LatestCheckpoint);
        var text = Encoding.Latin1.GetString(bytes);
        Assert.Contains(from, text);
        File.WriteAllBytes(result.LatestCheckpoint, Encoding.Latin1.GetBytes(text.Replace(from, to, StringComparison.Ordinal)));

        var e = Assert.Throws<InvalidDataException>(() => Checkpoint.Load(result.LatestCheckpoint));

        Assert.Contains("sha256_all", e.Message);
    }

    [Fact]
    public void Should_Reject_A_Normalisation_Edit_And_Invalid_Utf8_In_The_Header_With_One_Clear_Error()
    {
        using var data = new TinyData();
        var result = TrainingRun.Run(data.Config(4), RunFolder());
        var original = File.ReadAllBytes(result.LatestCheckpoint);
        var headerLength = (int)BinaryPrimitives.ReadUInt64LittleEndian(original);
        var header = Encoding.UTF8.GetString(original, 8, headerLength);

        // a digit of the stored mean changed (silently wrong evaluation before)
        var at = header.IndexOf("\"normalization\"", StringComparison.Ordinal);
        var digit = header.IndexOf("mean\\u0022:[0.", at, StringComparison.Ordinal) + "mean\\u0022:[0.".Length;
        var edited = (byte[])original.Clone();
        edited[8 + digit] = (byte)(edited[8 + digit] == '9' ? '1' : edited[8 + digit] + 1);
        File.WriteAllBytes(result.LatestCheckpoint, edited);
        Assert.Contains("sha256_all", Assert.Throws<InvalidDataException>(() => Checkpoint.Load(result.LatestCheckpoint)).Message);

        // a flipped byte that is not UTF-8, inside a class name (an unhandled exception before)
        var flipped = (byte[])original.Clone();
        flipped[8 + header.IndexOf("blue", StringComparison.Ordinal)] = 0xFF;
        File.WriteAllBytes(result.LatestCheckpoint, flipped);
        var e = Assert.Throws<InvalidDataException>(() => Checkpoint.Load(result.LatestCheckpoint));
        Assert.DoesNotContain('\n', e.Message);
    }

    /// <summary>Rewrites a checkpoint as the format-1 code wrote it: format tag /1, the data's SHA-256 only, progress without the metrics window.</summary>
    static void WriteAsFormat1(string path)
    {
        var bytes = File.ReadAllBytes(path);
        var headerLength = (int)BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        var header = JsonNode.Parse(bytes.AsSpan(8, headerLength))!.AsObject();
        var meta = header["__metadata__"]!.AsObject();
        meta["format"] = "resnetsharp-checkpoint/1";
        meta.Remove("sha256_all");
        var progress = JsonNode.Parse(meta["progress"]!.GetValue<string>())!.AsObject();
        progress.Remove("window");
        meta["progress"] = progress.ToJsonString();
        var json = Encoding.UTF8.GetBytes(header.ToJsonString());
        var padded = (json.Length + 7) / 8 * 8;
        using var file = File.Create(path);
        var length = new byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)padded);
        file.Write(length);
        file.Write(json);
        for (var i = json.Length; i < padded; i++) file.WriteByte((byte)' ');
        file.Write(bytes.AsSpan(8 + headerLength));
    }

    [Fact]
    public void Should_Resume_A_Run_Folder_Whose_Checkpoint_Is_In_The_Old_Format()
    {
        using var data = new TinyData();
        var config = data.Config(12);
        var whole = TrainingRun.Run(config, RunFolder());

        // Given a run folder as the previous code left it after a crash: a format-1 checkpoint at iteration 4,
        // metrics rows up to 6, no lock files
        var folder = RunFolder();
        Assert.Throws<InvalidOperationException>(() => TrainingRun.Run(config, folder, new CrashAt(7)));
        var latest = Path.Combine(folder, ResNetSharp.Training.RunFolder.LatestFile);
        WriteAsFormat1(latest);
        foreach (var f in Directory.GetFiles(folder, ".lock*")) File.Delete(f);
        using (var old = Checkpoint.Load(latest)) Assert.Null(old.Progress.Window);

        // When it is resumed by this code
        var resumed = TrainingRun.Resume(folder);

        // Then it finishes with the uninterrupted run's weights and rows, and its checkpoint is now format 2
        using var a = Checkpoint.Load(whole.LatestCheckpoint);
        using var b = Checkpoint.Load(resumed.LatestCheckpoint);
        foreach (var (key, tensor) in a.ModelState) Assert.True(tensor.equal(b.ModelState[key]).all().item<bool>(), key);
        AssertSameRows(whole.Metrics, resumed.Metrics);
        Assert.Contains(Checkpoint.Format, Encoding.Latin1.GetString(File.ReadAllBytes(latest)));
    }

    [Fact]
    public void Should_Drop_Metrics_Rows_Logged_After_The_Checkpoint_When_Resuming_After_A_Crash()
    {
        using var data = new TinyData();
        var config = data.Config(12);
        var whole = TrainingRun.Run(config, RunFolder());

        // Given a run that crashed at iteration 7: rows up to 6 logged, the checkpoint at 4, a torn last line
        var folder = RunFolder();
        Assert.Throws<InvalidOperationException>(() => TrainingRun.Run(config, folder, new CrashAt(7)));
        File.AppendAllText(Path.Combine(folder, "metrics.jsonl"), "{\"iteration\":8,\"ep");
        Assert.Contains("\n6,", File.ReadAllText(Path.Combine(folder, "metrics.csv")));

        // When it is resumed
        var resumed = TrainingRun.Resume(folder);

        // Then both files read as if it had never stopped
        AssertSameRows(whole.Metrics, resumed.Metrics);
        var csv = File.ReadAllLines(Path.Combine(folder, "metrics.csv"));
        Assert.Equal(whole.Metrics.Select(r => r.Iteration.ToString(System.Globalization.CultureInfo.InvariantCulture)), csv.Skip(1).Select(l => l.Split(',')[0]));
        Assert.Equal(whole.Metrics.Count, File.ReadAllLines(Path.Combine(folder, "metrics.jsonl")).Length);
    }

    [Fact]
    public void Should_Count_List_And_Report_Skipped_Training_Images()
    {
        // Given the tiny data (64 training images) plus 3 damaged files
        using var data = new TinyData();
        for (var i = 0; i < 3; i++) File.WriteAllBytes(Path.Combine(data.Root, "train", "red", $"broken{i}.png"), [0x89, (byte)'P', (byte)'N', (byte)'G', 0, 0]);
        var observer = new Recorder();

        var result = TrainingRun.Run(data.Config(2), RunFolder(), observer);

        // Then the header counts the 64 images used, a note says 3 were skipped, and the run folder lists them
        Assert.Contains("64 train", observer.Description);
        Assert.Contains(observer.Notes, n => n.StartsWith("3 training image(s) could not be read", StringComparison.Ordinal));
        var listed = File.ReadAllLines(Path.Combine(result.RunDirectory, ResNetSharp.Training.RunFolder.SkippedFile));
        Assert.Equal(3, listed.Length);
        Assert.All(listed, l => Assert.Contains("broken", l));
    }

    [Fact]
    public void Should_Warn_When_The_Data_Has_One_Class()
    {
        using var data = new TinyData();
        foreach (var split in new[] { "train", "test" }) Directory.Delete(Path.Combine(data.Root, split, "red"), recursive: true);
        var observer = new Recorder();

        TrainingRun.Run(data.Config(2), RunFolder(), observer);

        Assert.Contains(observer.Notes, n => n.Contains("one class", StringComparison.Ordinal));
    }

    [Fact]
    public void Should_Leave_No_Run_Folder_When_A_New_Run_Fails_Before_Its_First_Checkpoint()
    {
        var folder = RunFolder();
        using var data = new TinyData();

        Assert.Throws<DirectoryNotFoundException>(() => TrainingRun.Run(data.Config(2) with { Data = Path.Combine(data.Root, "missing") }, folder));

        Assert.False(Directory.Exists(folder));
    }

    [Fact]
    public void Should_Remove_Temporary_Files_Left_By_A_Killed_Write_On_Start()
    {
        using var data = new TinyData();
        var config = data.Config(8);
        var folder = RunFolder();
        using var cancel = new CancellationTokenSource();
        TrainingRun.Run(config, folder, new CancelAt(5, cancel), cancel.Token);
        var stale = Path.Combine(folder, ".latest.ckpt.999999.tmp"); // a process id that does not run
        File.WriteAllBytes(stale, new byte[1000]);
        var observer = new Recorder();

        TrainingRun.Resume(folder, observer);

        Assert.False(File.Exists(stale));
        Assert.Contains(observer.Notes, n => n.Contains(".latest.ckpt.999999.tmp", StringComparison.Ordinal));
    }

    [Fact]
    public void Should_Refuse_To_Evaluate_A_Network_Whose_Outputs_Are_Not_Finite()
    {
        // Given a network whose weights are finite but whose BN statistics make its outputs NaN
        using var model = ModelZoo.Create("resnet8");
        using (no_grad()) model.state_dict()["bn1.running_var"].fill_(-1f);
        using var data = new TinyData();
        var set = TrainingData.Open(data.Config(2));
        var loader = new DataLoader(set.Test, set.TestTransform, new DataLoaderOptions { BatchSize = 16, Normalization = set.Normalization });

        var e = Assert.Throws<ResNetSharp.Evaluation.NonFiniteOutputException>(() => ResNetSharp.Evaluation.Evaluator.Evaluate(model, loader));

        Assert.Contains("NaN", e.Message);
    }

    sealed class CrashAt(long iteration) : ITrainingObserver
    {
        public void Stepped(long i, double loss, double learningRate)
        {
            if (i + 1 == iteration) throw new InvalidOperationException("simulated crash");
        }
    }

    sealed class Recorder : ITrainingObserver
    {
        public List<string> Notes { get; } = [];

        public string Description { get; private set; } = "";

        public void Started(TrainingConfig config, NetworkSpec spec, TrainingProgress progress, string dataDescription) => Description = dataDescription;

        public void Note(string message) => Notes.Add(message);
    }
}
