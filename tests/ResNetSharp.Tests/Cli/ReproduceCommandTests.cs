using System.Text.Json;

namespace ResNetSharp.Tests.Cli;

public sealed class ReproduceCommandTests
{
    [Fact]
    public void Should_Print_The_Plan_Without_Training()
    {
        // Given an output folder that does not exist
        var folder = Path.Combine(Path.GetTempPath(), "resnetsharp-tests", "cli-plan", Guid.NewGuid().ToString("N"));

        // When the degradation plan is asked for with a budget and seeds
        var result = CliRunner.Run("reproduce", "degradation", "--budget", "0.05", "--seeds", "2", "--out", folder, "--plan", "--json");

        // Then it lists 16 runs with the scaled schedule, and nothing was created
        Assert.Equal(0, result.ExitCode);
        var root = JsonDocument.Parse(result.Stdout).RootElement;
        var runs = root.GetProperty("runs").EnumerateArray().ToArray();
        Assert.Equal(16, runs.Length);
        Assert.Equal("plain-20-seed0", runs[0].GetProperty("folder").GetString());
        Assert.Equal(3_200, runs[0].GetProperty("config").GetProperty("iterations").GetInt32());
        Assert.Equal(1, runs[1].GetProperty("config").GetProperty("seed").GetInt32());
        Assert.Contains("budget 0.05", root.GetProperty("protocol").GetProperty("schedule").GetString());
        Assert.False(Directory.Exists(folder));
    }

    [Fact]
    public void Should_Print_A_Table_Plan_For_An_ImageFolder_Experiment()
    {
        var result = CliRunner.Run("reproduce", "shortcuts", "--data", "/data/tiny-imagefolder", "--budget", "0.01", "--plan");

        Assert.Equal(0, result.ExitCode);
        Assert.Contains("resnet34-c-seed0", result.Stdout);
        Assert.Contains("6,000", result.Stdout);
        Assert.Contains("@ 64px", result.Stdout);
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
