using System.Diagnostics;
using ResNetSharp.Runtime;
using ResNetSharp.Training;

namespace ResNetSharp.Tests.Training;

/// <summary>A fact that needs a small tmpfs; skipped, saying why, where the test cannot mount one (not root, no CAP_SYS_ADMIN, not Linux).</summary>
public sealed class TmpfsFactAttribute : FactAttribute
{
    public TmpfsFactAttribute()
    {
        if (!OperatingSystem.IsLinux()) Skip = "needs Linux to mount a tmpfs";
        else if (Environment.UserName != "root") Skip = "needs root to mount a small tmpfs (CI runs as root)";
        else if (!SmallDisk.CanMount()) Skip = "mount -t tmpfs failed here (no CAP_SYS_ADMIN in this container?)";
    }
}

/// <summary>A tmpfs of a few megabytes, mounted for one test and unmounted after it.</summary>
sealed class SmallDisk : IDisposable
{
    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "resnetsharp-tests", "tmpfs-" + Guid.NewGuid().ToString("n"));

    public SmallDisk(int megabytes)
    {
        Directory.CreateDirectory(Path);
        if (Run("mount", "-t", "tmpfs", "-o", $"size={megabytes}m", "tmpfs", Path) != 0) throw new InvalidOperationException($"could not mount a tmpfs on {Path}");
    }

    public static bool CanMount()
    {
        try
        {
            using var probe = new SmallDisk(1);
            return true;
        }
        catch (Exception e) when (e is InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            return false;
        }
    }

    /// <summary>Fills the disk until a write fails.</summary>
    public void Fill()
    {
        var block = new byte[64 * 1024];
        using var filler = new FileStream(System.IO.Path.Combine(Path, "filler"), FileMode.Create);
        try
        {
            while (true) filler.Write(block);
        }
        catch (IOException)
        {
        }
    }

    static int Run(string file, params string[] args)
    {
        using var p = Process.Start(new ProcessStartInfo(file, args) { RedirectStandardError = true, UseShellExecute = false })!;
        p.StandardError.ReadToEnd();
        p.WaitForExit();
        return p.ExitCode;
    }

    public void Dispose()
    {
        Run("umount", Path);
        Directory.Delete(Path, recursive: true);
    }
}

[Collection(SeededCollection.Name)]
public sealed class DiskFullTests
{
    [TmpfsFact]
    public void Should_Say_The_Disk_Is_Full_And_Where_Keeping_The_Previous_Checkpoints_And_No_Temp_File()
    {
        // Given a run on a 4 MB disk that fills up after its first checkpoints (iteration 4)
        using var data = new TinyData();
        using var disk = new SmallDisk(4);
        var run = Path.Combine(disk.Path, "run");

        // When it trains on
        var e = Assert.Throws<DiskFullException>(() => TrainingRun.Run(data.Config(40), run, new FillAt(5, disk)));

        // Then the message names the full disk's folder; both checkpoints load; no temporary file is left
        Assert.Contains("full", e.Message);
        Assert.Contains(run, e.Message);
        using (var latest = Checkpoint.Load(Path.Combine(run, RunFolder.LatestFile))) Assert.Equal(4, latest.Progress.Iteration);
        using (Checkpoint.Load(Path.Combine(run, RunFolder.BestFile)))
        {
        }
        Assert.Empty(Directory.GetFiles(run, "*.tmp", SearchOption.AllDirectories));

        // And a checkpoint write on the full disk fails the same way, leaving the old file intact
        var before = File.ReadAllBytes(Path.Combine(run, RunFolder.LatestFile));
        Assert.Throws<DiskFullException>(() => AtomicFile.Write(Path.Combine(run, RunFolder.LatestFile), s => s.Write(new byte[before.Length])));
        Assert.Equal(before, File.ReadAllBytes(Path.Combine(run, RunFolder.LatestFile)));
        Assert.Empty(Directory.GetFiles(run, "*.tmp"));
    }

    sealed class FillAt(long iteration, SmallDisk disk) : ITrainingObserver
    {
        public void Stepped(long i, double loss, double learningRate)
        {
            if (i + 1 == iteration) disk.Fill();
        }
    }
}
