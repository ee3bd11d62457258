using ResNetSharp.Reporting;
using ResNetSharp.Reproduce;
using ResNetSharp.Training;

namespace ResNetSharp.Tests.Reporting;

public sealed class ReportWriterTests
{
    static RunOutcome Finished(PlannedRun run, double train, double test) =>
        new(run, new TrainingResult("runs/" + run.Folder, FakeMetrics.Curve(train, test), test, train, "latest.ckpt", null, false));

    static string[] Row(string report, string network) =>
        report.Split('\n').Single(l => l.StartsWith($"| {network} |", StringComparison.Ordinal)).Split('|', StringSplitOptions.TrimEntries)[1..^1];

    [Fact]
    public void Should_Put_Our_Table_6_Numbers_Next_To_The_Papers_With_Best_Mean_And_Std()
    {
        // Given cifar-depth with two seeds and fake results where ResNet-110 is not better than ResNet-56
        var plan = Experiments.Plan("cifar-depth", new ReproduceOptions { Budget = 0.05, Seeds = 2 });
        var test = new Dictionary<string, double[]>
        {
            ["resnet20"] = [0.0900, 0.0920],
            ["resnet32"] = [0.0800, 0.0780],
            ["resnet44"] = [0.0750, 0.0770],
            ["resnet56"] = [0.0700, 0.0720],
            ["resnet110"] = [0.0730, 0.0750],
        };
        var report = new ReproduceReport(plan, [.. plan.Runs.Select(r => Finished(r, 0.01, test[r.Network][r.Seed]))], [], ["curves.png"]);

        // When the report is rendered
        var md = ReportWriter.Render(report);

        // Then each row has our params, the paper's, our best/mean ± std, the paper's error and the protocol
        var row = Row(md, "resnet110");
        Assert.Equal("1.73M", row[1]);
        Assert.Equal("1.7M", row[2]);
        Assert.Equal("7.30 best of 2 (7.40 ± 0.14)", row[3]);
        Assert.Equal("6.43 best of 5 (6.61 ± 0.16)", row[4]);
        Assert.Contains("budget 0.05", row[5]);
        Assert.Contains("2 seeds", row[5]);
        Assert.Equal("0.27M", Row(md, "resnet20")[1]);
        Assert.Equal("8.75", Row(md, "resnet20")[4]);
        // and the depth claim is reported as not reproduced, with the numbers, and the budget caveat is stated
        Assert.Contains("Test error falls with depth from ResNet-20 to ResNet-110 (mean over seeds). — **NOT reproduced**", md);
        Assert.Contains("resnet56 7.10% → resnet110 7.40%", md);
        Assert.Contains("Shortened schedule", md);
        Assert.Contains("![curves.png](curves.png)", md);
    }

    [Fact]
    public void Should_Check_The_Degradation_Claims_On_Final_Training_Errors()
    {
        // Given plain nets that degrade and residual nets that do not
        var plan = Experiments.Plan("degradation");
        var train = new Dictionary<string, double>
        {
            ["plain-20"] = 0.05,
            ["plain-32"] = 0.06,
            ["plain-44"] = 0.07,
            ["plain-56"] = 0.08,
            ["resnet20"] = 0.04,
            ["resnet32"] = 0.03,
            ["resnet44"] = 0.02,
            ["resnet56"] = 0.01,
        };
        var report = new ReproduceReport(plan, [.. plan.Runs.Select(r => Finished(r, train[r.Network], train[r.Network] + 0.05))], [], []);

        var md = ReportWriter.Render(report);

        Assert.Contains("Degradation: plain-56 ends with a higher training error than plain-20. — **reproduced**: plain-56 8.00% vs plain-20 5.00%", md);
        Assert.Contains("ResNet-56 ends with a lower training error than ResNet-20. — **reproduced**: resnet56 1.00% vs resnet20 4.00%", md);
        Assert.Equal("8.00", Row(md, "plain-56")[2]);
        Assert.Equal("13.00", Row(md, "plain-56")[3]);
        Assert.DoesNotContain("Shortened schedule", md);
    }

    [Fact]
    public void Should_Say_Which_Runs_Are_Missing_And_Leave_Their_Claims_Unchecked()
    {
        // Given the ImageNet-depth plan where plain-34 was interrupted and the rest never ran
        var plan = Experiments.Plan("imagenet-depth", new ReproduceOptions { Data = "/data/tiny", Budget = 0.01 });
        var runs = plan.Runs.Select((r, i) => i switch
        {
            0 => Finished(r, 0.3, 0.4),
            1 => new RunOutcome(r, new TrainingResult("x", [], null, 0.5, "latest.ckpt", null, true)),
            _ => new RunOutcome(r, null),
        }).ToArray();

        var md = ReportWriter.Render(new ReproduceReport(plan, runs, [], []));

        Assert.Contains("Runs: 1 of 5 finished", md);
        Assert.Contains("plain-34-seed0: interrupted", md);
        Assert.Contains("resnet50-seed0: not run", md);
        Assert.Contains("Degradation: plain-34 has a higher error than plain-18. — not checked (runs missing)", md);
        Assert.Equal("40.00", Row(md, "plain-18")[2]);
        Assert.Equal("27.94", Row(md, "plain-18")[3]);
        Assert.Equal("—", Row(md, "plain-34")[2]);
        Assert.Equal("A", Row(md, "resnet34-a")[1]);
        Assert.Equal("25.03", Row(md, "resnet34-a")[3]);
        Assert.Contains("Not ImageNet", md);
    }
}
