using System.Text.Json;
using ResNetSharp.Reproduce;

namespace ResNetSharp.Tests.Cli;

public sealed class ReproduceCommandTests
{
    // A probe cache as this machine would have it, with made-up speeds, so the plan does not probe (slow) in a test.
    static string ProbeCache(string experiment, double trainSeconds, double evalSeconds)
    {
        var file = Path.Combine(Path.GetTempPath(), "resnetsharp-tests", "cli-plan", Guid.NewGuid().ToString("N") + ".json");
        Directory.CreateDirectory(Path.GetDirectoryName(file)!);
        var plan = Experiments.Plan(experiment);
        var probes = plan.Networks.ToDictionary(n => CostProbe.CacheKey(Provenance.CpuModel(), 1, n, 32), n => new ProbeResult(n, 32, trainSeconds, evalSeconds));
        File.WriteAllText(file, JsonSerializer.Serialize(probes));
        return file;
    }

    [Fact]
    public void Should_Print_The_Plan_Without_Training()
    {
        // Given an output folder that does not exist and cached probes of 1 ms per trained image and 0.5 ms per evaluated one
        var folder = Path.Combine(Path.GetTempPath(), "resnetsharp-tests", "cli-plan", Guid.NewGuid().ToString("N"));
        var cache = ProbeCache("degradation", 0.001, 0.0005);

        // When the degradation plan is asked for with a budget and seeds
        var result = CliRunner.Run("reproduce", "degradation", "--budget", "0.05", "--seeds", "2", "--out", folder, "--plan", "--json", "--threads", "1", "--probe-cache", cache);

        // Then it lists 18 runs with the scaled schedule, and nothing was created
        Assert.Equal(0, result.ExitCode);
        var root = JsonDocument.Parse(result.Stdout).RootElement;
        var runs = root.GetProperty("runs").EnumerateArray().ToArray();
        Assert.Equal(18, runs.Length);
        Assert.Equal("plain-20-seed0", runs[0].GetProperty("folder").GetString());
        Assert.Equal(3_200, runs[0].GetProperty("config").GetProperty("iterations").GetInt32());
        Assert.Equal(1, runs[1].GetProperty("config").GetProperty("seed").GetInt32());
        Assert.Contains("budget 0.05", root.GetProperty("protocol").GetProperty("schedule").GetString());
        Assert.False(Directory.Exists(folder));
        // and it carries the cost: 18 runs x 3,200 it x 128 images trained, 9 evaluations (once per 391-it epoch, and at the end)
        // of 10,000 images each, 10,000 training images measured after each run; hours from the cached speeds
        var estimate = root.GetProperty("estimate");
        Assert.Equal(18L * 3_200 * 128, estimate.GetProperty("trainImages").GetInt64());
        Assert.Equal(18L * 9 * 10_000, estimate.GetProperty("evalImages").GetInt64());
        Assert.Equal(18L * 10_000, estimate.GetProperty("measureImages").GetInt64());
        var hours = (18.0 * 3_200 * 128 * 0.001 + 18.0 * 9 * 10_000 * 0.0005 + 18.0 * 10_000 * 0.0005) / 3600;
        Assert.Equal(hours, estimate.GetProperty("hours").GetDouble(), 9);
        Assert.Contains("probes", estimate.GetProperty("basis").GetString());
    }

    [Fact]
    public void Should_Print_A_Table_Plan_For_An_ImageFolder_Experiment()
    {
        var cache = Path.Combine(Path.GetTempPath(), "resnetsharp-tests", "cli-plan", Guid.NewGuid().ToString("N") + ".json");
        Directory.CreateDirectory(Path.GetDirectoryName(cache)!);
        var probes = new[] { "plain-34", "resnet34-a", "resnet34", "resnet34-c" }
            .ToDictionary(n => CostProbe.CacheKey(Provenance.CpuModel(), 1, n, 64), n => new ProbeResult(n, 64, 0.01, 0.003));
        File.WriteAllText(cache, JsonSerializer.Serialize(probes));

        var result = CliRunner.Run("reproduce", "shortcuts", "--data", "/data/tiny-imagefolder", "--budget", "0.01", "--plan", "--threads", "1", "--probe-cache", cache);

        Assert.Equal(0, result.ExitCode);
        Assert.Contains("resnet34-c-seed0", result.Stdout);
        Assert.Contains("6,000", result.Stdout);
        Assert.Contains("@ 64px", result.Stdout);
        Assert.Contains("estimated", result.Stdout);
    }

    [Fact]
    public void Should_Say_What_To_Give_When_An_ImageNet_Experiment_Has_No_Data()
    {
        var result = CliRunner.Run("reproduce", "imagenet-depth", "--plan");

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("--data", result.Stderr);
        Assert.DoesNotContain("   at ", result.Stderr);
    }
}
