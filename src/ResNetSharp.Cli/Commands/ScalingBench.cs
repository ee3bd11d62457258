using System.Diagnostics;
using System.Text.Json;
using ResNetSharp.Benchmarks;
using ResNetSharp.Distributed;
using Spectre.Console;

namespace ResNetSharp.Cli.Commands;

/// <summary>
/// <c>resnet bench --only scaling</c>: ResNet-20 and ResNet-56 training img/s on one process (all its threads), then on
/// 2 ranks of 1 thread that this command starts with mpirun over loopback TCP, with the all-reduce share of a step.
/// </summary>
static class ScalingBench
{
    const int Batch = 128, Steps = 8, Warmup = 2;
    static readonly string[] Models = ["resnet20", "resnet56"];

    public static bool Requested(string[] only) =>
        only.SelectMany(n => n.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).Any(n => n.Equals("scaling", StringComparison.OrdinalIgnoreCase));

    public static int Run(bool json)
    {
        if (MpiLaunch.Current is not null) return RunAsRank();
        var figures = Models.Select(m => ScalingBenchmark.Measure(m, Batch, Steps, Warmup, SingleProcess.Instance)).ToList();
        string? note = null;
        if (Process.Start(new ProcessStartInfo("sh", ["-c", "command -v mpirun"]) { RedirectStandardOutput = true }) is { } which)
        {
            which.WaitForExit();
            if (which.ExitCode != 0) note = "mpirun is not installed (apt-get install openmpi-bin libopenmpi-dev): 2-rank figures skipped";
        }
        if (note is null) figures.AddRange(TwoRanks());
        if (json)
        {
            CommonOptions.WriteJson(new { Cpu = Environment.ProcessorCount + " logical cores", Figures = figures, Note = note });
            return 0;
        }
        var table = new Table().Border(TableBorder.Rounded).AddColumns("network", "ranks × threads", "img/s", "vs 1 process", "all-reduce ms/step", "all-reduce share", "gradients MB");
        foreach (var f in figures)
        {
            var single = figures.First(s => s.Model == f.Model && s.Ranks == 1).ImagesPerSecond;
            table.AddRow(f.Model, $"{f.Ranks} × {f.Threads}", f.ImagesPerSecond.ToString("0.0"), (f.ImagesPerSecond / single).ToString("0.00"),
                f.AllReduceMilliseconds.ToString("0.0"), f.AllReduceShare.ToString("0.0%"), f.GradientMegabytes.ToString("0.00"));
        }
        AnsiConsole.MarkupLine(Markup.Escape($"{Environment.ProcessorCount} logical cores; batch {Batch}, {Steps} timed steps after {Warmup}; 2 ranks over loopback TCP"));
        AnsiConsole.Write(table);
        if (note is not null) AnsiConsole.MarkupLine(Markup.Escape("note: " + note));
        return 0;
    }

    static int RunAsRank()
    {
        var mpi = OpenMpi.Initialize();
        mpi.DetectHangs(TrainCommand.DefaultHangTimeout); // the collectives as training makes them: checked arrival, polled completion
        foreach (var model in Models)
        {
            var figure = ScalingBenchmark.Measure(model, Batch, Steps, Warmup, mpi);
            if (mpi.Rank == 0) Console.WriteLine(JsonSerializer.Serialize(figure));
        }
        mpi.Shutdown();
        return 0;
    }

    static IEnumerable<ScalingFigure> TwoRanks()
    {
        var start = new ProcessStartInfo("mpirun") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        string[] flags = ["--oversubscribe", "--mca", "btl", "self,tcp", "--mca", "btl_tcp_if_include", "lo", "-np", "2"];
        if (Environment.UserName == "root") start.ArgumentList.Add("--allow-run-as-root");
        foreach (var f in flags) start.ArgumentList.Add(f);
        var host = Environment.ProcessPath ?? "dotnet";
        start.ArgumentList.Add(host);
        if (Path.GetFileNameWithoutExtension(host) == "dotnet") start.ArgumentList.Add(typeof(ScalingBench).Assembly.Location);
        foreach (var a in new[] { "bench", "--only", "scaling", "--threads", "1" }) start.ArgumentList.Add(a);
        using var job = Process.Start(start)!;
        var stderr = job.StandardError.ReadToEndAsync();
        var lines = job.StandardOutput.ReadToEnd().Split('\n').Select(l => l.Trim()).ToList();
        job.WaitForExit();
        if (job.ExitCode != 0) throw new IOException($"mpirun -np 2 failed (exit {job.ExitCode}): {stderr.Result.Split('\n').FirstOrDefault(l => l.Length > 0)}");
        return lines.Select(l => l.IndexOf('{') is >= 0 and var i ? l[i..] : "").Where(l => l.Length > 0)
            .Select(l => JsonSerializer.Deserialize<ScalingFigure>(l)!).ToList();
    }
}
