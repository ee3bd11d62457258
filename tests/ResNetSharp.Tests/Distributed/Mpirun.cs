using System.Diagnostics;
using ResNetSharp.Data;
using ResNetSharp.Tests.Cli;

namespace ResNetSharp.Tests.Distributed;

/// <summary>Launches the built <c>resnet</c> command under Open MPI's mpirun, one rank per process, over loopback TCP.</summary>
static class Mpirun
{
    /// <summary>Why the MPI tests cannot run here, or null when mpirun is on the PATH.</summary>
    public static string? Missing { get; } = FindOnPath("mpirun") is null
        ? "mpirun (Open MPI) is not installed here: apt-get install openmpi-bin libopenmpi-dev (.ci/run installs it, so these run in CI)"
        : null;

    static string? FindOnPath(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
        .Select(d => Path.Combine(d, name)).FirstOrDefault(File.Exists);

    /// <summary>
    /// mpirun's flags for tests: root allowed (CI), more ranks than cores, TCP on loopback only, and 60 s for ranks to
    /// write their checkpoint after SIGTERM before mpirun kills them (its default is 1 s).
    /// </summary>
    public static readonly string[] Flags =
        ["--allow-run-as-root", "--oversubscribe", "--mca", "btl", "self,tcp", "--mca", "btl_tcp_if_include", "lo", "--mca", "odls_base_sigkill_timeout", "60"];

    /// <summary>Starts <paramref name="ranks"/> ranks of <c>resnet</c> with <paramref name="args"/> and returns at once.</summary>
    public static Process Start(int ranks, params string[] args) => StartRaw([.. Flags, "-np", ranks.ToString(System.Globalization.CultureInfo.InvariantCulture), .. Command(args)]);

    /// <summary>The command line of one rank: dotnet resnet.dll args.</summary>
    public static string[] Command(params string[] args) => ["dotnet", Path.Combine(AppContext.BaseDirectory, "resnet.dll"), .. args];

    /// <summary>Starts mpirun with exactly <paramref name="arguments"/>.</summary>
    public static Process StartRaw(IEnumerable<string> arguments) => StartProgram("mpirun", arguments);

    /// <summary>Starts <paramref name="program"/> (mpirun, or a wrapper that runs it) with exactly <paramref name="arguments"/>.</summary>
    public static Process StartProgram(string program, IEnumerable<string> arguments)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in arguments) start.ArgumentList.Add(a);
        return Process.Start(start)!;
    }

    /// <summary>Runs <paramref name="ranks"/> ranks to the end (10 minutes at most).</summary>
    public static CliRunner.Result Run(int ranks, params string[] args) => Wait(Start(ranks, args));

    /// <summary>Waits for a started job and collects its output.</summary>
    public static CliRunner.Result Wait(Process process)
    {
        using (process)
        {
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            if (!process.WaitForExit(TimeSpan.FromMinutes(10)))
            {
                process.Kill(entireProcessTree: true);
                throw new TimeoutException("mpirun did not finish in 10 minutes.");
            }
            return new CliRunner.Result(process.ExitCode, stdout.Result, stderr.Result);
        }
    }
}

/// <summary>A [Fact] that is skipped, saying why, where mpirun is missing.</summary>
public sealed class MpiFactAttribute : FactAttribute
{
    public MpiFactAttribute()
    {
        if (Mpirun.Missing is { } reason) Skip = reason;
    }
}

/// <summary>
/// An ImageFolder of real CIFAR-10 images copied from the embedded sample: <c>trainPerClass</c> and <c>testPerClass</c>
/// images of each of the 10 classes (so 20 batches of 128 are one epoch with 256 per class).
/// </summary>
sealed class SampleSubset : IDisposable
{
    public string Root { get; } = Path.Combine(Path.GetTempPath(), "resnetsharp-tests", "mpi-" + Guid.NewGuid().ToString("n"));

    public SampleSubset(int trainPerClass, int testPerClass)
    {
        var sample = EmbeddedSample.Unpack();
        if (!Directory.Exists(Path.Combine(sample, "train")) && Directory.GetDirectories(sample) is [var only]) sample = only;
        foreach (var (split, count) in new[] { ("train", trainPerClass), ("test", testPerClass) })
        {
            foreach (var classFolder in Directory.GetDirectories(Path.Combine(sample, split)).Order(StringComparer.Ordinal))
            {
                var target = Path.Combine(Root, split, Path.GetFileName(classFolder));
                Directory.CreateDirectory(target);
                foreach (var file in Directory.GetFiles(classFolder).Order(StringComparer.Ordinal).Take(count))
                    File.Copy(file, Path.Combine(target, Path.GetFileName(file)));
            }
        }
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
