using System.Text.Json;

namespace ResNetSharp.Tests.Cli;

public sealed class ModelCommandsTests
{
    [Fact]
    public void Should_List_Every_Network_With_The_Papers_Counts_As_Json()
    {
        var result = CliRunner.Run("models", "--json");

        Assert.Equal(0, result.ExitCode);
        var models = JsonDocument.Parse(result.Stdout).RootElement.EnumerateArray().ToDictionary(e => e.GetProperty("name").GetString()!);
        Assert.Equal(11_689_512, models["resnet18"].GetProperty("parameters").GetInt64());
        Assert.Equal(60_192_808, models["resnet152"].GetProperty("parameters").GetInt64());
        Assert.InRange(models["resnet50"].GetProperty("multiplyAdds").GetInt64() / 1e9, 3.8 * 0.98, 3.8 * 1.02);
        Assert.Equal("none", models["plain-34"].GetProperty("shortcut").GetString());
        Assert.Equal(110, models["resnet110"].GetProperty("depth").GetInt32());
    }

    [Fact]
    public void Should_Summarise_ResNet50_Per_Stage_As_Json()
    {
        var result = CliRunner.Run("summary", "resnet50", "--json");

        Assert.Equal(0, result.ExitCode);
        var root = JsonDocument.Parse(result.Stdout).RootElement;
        Assert.Equal(25_557_032, root.GetProperty("parameters").GetInt64());
        var stages = root.GetProperty("stages").EnumerateArray().Select(s => s.GetProperty("stage").GetString()!).ToArray();
        Assert.Equal(["conv1", "conv2_x", "conv3_x", "conv4_x", "conv5_x", "head"], stages);
    }

    [Fact]
    public void Should_Fail_On_An_Unknown_Network_With_The_Closest_Name()
    {
        var result = CliRunner.Run("summary", "resnt56");

        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("resnet56", result.Stderr);
        Assert.DoesNotContain("   at ", result.Stderr); // no stack trace for a user error
    }

    [Fact]
    public void Should_Apply_Variant_Flags_To_A_Summary()
    {
        var result = CliRunner.Run("summary", "resnet34", "--shortcut", "C", "--json");

        Assert.Equal(0, result.ExitCode);
        Assert.True(JsonDocument.Parse(result.Stdout).RootElement.GetProperty("parameters").GetInt64() > 21_797_672);
    }
}
