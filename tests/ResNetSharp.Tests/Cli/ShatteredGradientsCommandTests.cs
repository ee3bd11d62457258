using System.Text.Json;

namespace ResNetSharp.Tests.Cli;

public sealed class ShatteredGradientsCommandTests
{
    [Fact]
    public void Should_Plan_The_Analysis_Without_Training_With_The_Seeds_Given()
    {
        // Given an output folder that does not exist
        var folder = Path.Combine(Path.GetTempPath(), "resnetsharp-tests", "cli-shattered", Guid.NewGuid().ToString("N"));

        // When the plan is asked for with 3 seeds
        var result = CliRunner.Run("reproduce", "shattered-gradients", "--seeds", "3", "--out", folder, "--plan", "--json");

        // Then it says no training is needed and what it computes, with 3 initialisations per net, and creates nothing
        Assert.Equal(0, result.ExitCode);
        var root = JsonDocument.Parse(result.Stdout).RootElement;
        Assert.False(root.GetProperty("training").GetBoolean());
        var plan = root.GetProperty("plan").EnumerateArray().Select(l => l.GetString()!).ToArray();
        Assert.Contains("needs no training", plan[0]);
        Assert.Contains("3 initialisations each (63 nets)", plan[1]);
        Assert.Contains("resnet110 at initialisation (3 each)", plan[2]);
        Assert.False(Directory.Exists(folder));
    }

    [Fact]
    public void Should_List_The_Analyses_With_The_Experiments_For_An_Unknown_Name()
    {
        var result = CliRunner.Run("reproduce", "shattered", "--plan");
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("shattered-gradients", result.Stderr + result.Stdout);
        Assert.Contains("degradation", result.Stderr + result.Stdout);
    }
}
