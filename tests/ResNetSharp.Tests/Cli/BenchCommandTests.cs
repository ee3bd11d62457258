using System.Text.Json;

namespace ResNetSharp.Tests.Cli;

public sealed class BenchCommandTests
{
    [Fact]
    public void Should_Print_Min_And_Median_Of_Every_Figure_As_Json()
    {
        // Given the cheapest part of the benchmark
        // When it runs three times with --json
        var result = CliRunner.Run("bench", "--only", "peak", "--repeat", "3", "--json");

        // Then every figure has three samples, the printed min and median are those of its samples, and the CPU is named
        Assert.True(result.ExitCode == 0, result.Stderr);
        using var json = JsonDocument.Parse(result.Stdout);
        Assert.False(string.IsNullOrEmpty(json.RootElement.GetProperty("cpu").GetString()));
        var figures = json.RootElement.GetProperty("figures").EnumerateArray().ToArray();
        Assert.Contains(figures, f => f.GetProperty("name").GetString() == "matmul 1024 fp32");
        Assert.All(figures, f =>
        {
            var samples = f.GetProperty("samples").EnumerateArray().Select(s => s.GetDouble()).Order().ToArray();
            Assert.Equal(3, samples.Length);
            Assert.Equal(samples[0], f.GetProperty("min").GetDouble());
            Assert.Equal(samples[1], f.GetProperty("median").GetDouble());
        });
    }

    [Fact]
    public void Should_Name_The_Known_Parts_For_An_Unknown_One()
    {
        var result = CliRunner.Run("bench", "--only", "speed");

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("training, inference, data, memory, peak", result.Stderr);
    }
}
