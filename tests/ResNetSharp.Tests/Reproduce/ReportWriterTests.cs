using ResNetSharp.Reporting;
using ResNetSharp.Reproduce;
using ResNetSharp.Tests.Reporting;
using ResNetSharp.Training;

namespace ResNetSharp.Tests.Reproduce;

public sealed class ReportWriterTests
{
    // a finished run whose final training error was measured on 10,000 training images
    static RunOutcome Finished(PlannedRun run, double train, double test) =>
        new(run, new TrainingResult("runs/" + run.Folder, FakeMetrics.Curve(train, test), test, train, "latest.ckpt", null, false),
            Record: new RunRecord([new RateChange(0, 0.1)], [], 60, new RunMeasurement(train, 10_000, 10_000, 10, 2)));

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

        // Then each row has our params, the paper's, our mean ± standard error (binomial over 10,000 test images, two seeds) with the best, the paper's error
        var row = Row(md, "resnet110");
        Assert.Equal("1.73M", row[1]);
        Assert.Equal("1.7M", row[2]);
        Assert.Equal("7.40 ± 0.19 (best 7.30 of 2)", row[3]);
        Assert.Equal("6.43 best of 5 (6.61 ± 0.16)", row[4]);
        Assert.Equal("0.27M", Row(md, "resnet20")[1]);
        Assert.Equal("8.75", Row(md, "resnet20")[4]);
        // and the protocol is stated once, not on every row
        Assert.Single(md.Split('\n'), l => l.StartsWith("- **Schedule:**", StringComparison.Ordinal) && l.Contains("budget 0.05") && l.Contains("(each run's schedule as taken"));
        Assert.Contains("- **Seeds:** 2 seeds", md);
        Assert.Equal(6, row.Length);
        // and ResNet-110 being 0.30 points worse than ResNet-56 is within noise: the depth claim is inconclusive, not "NOT reproduced"
        Assert.Contains("Test error falls with depth from ResNet-20 to ResNet-110 (mean over seeds). — **inconclusive**", md);
        Assert.Contains("resnet56 7.10% ± 0.18 → resnet110 7.40% ± 0.19", md);
        Assert.Contains("resnet110 < resnet56: the difference is 1.2 combined standard errors, within noise", md);
        Assert.Contains("Shortened schedule", md);
        Assert.Contains("![curves.png](curves.png)", md);
    }

    [Fact]
    public void Should_State_The_Activation_Placement_Orderings_At_A_Smaller_Depth()
    {
        // Given activation-placement at depth 20 with (e) clearly best, (b) clearly worst and (c) tied with (a)
        var plan = Experiments.Plan("activation-placement", new ReproduceOptions { Budget = 0.01, Depth = 20 });
        var test = new Dictionary<string, double>
        {
            ["resnet20"] = 0.20,
            ["resnet20-bn-after-add"] = 0.30,
            ["resnet20-relu-before-add"] = 0.201,
            ["resnet20-relu-preact"] = 0.22,
            ["preact-resnet20-basic-a"] = 0.15,
        };
        var report = new ReproduceReport(plan, [.. plan.Runs.Select(r => Finished(r, test[r.Network] - 0.05, test[r.Network]))], [], []);

        // When the report is rendered
        var md = ReportWriter.Render(report);

        // Then it says the depth is not the paper's, shows no ResNet-110 number against a 20-layer net, and states each ordering's verdict
        Assert.Contains("**Smaller networks:** every network here has 20 layers", md);
        Assert.Equal("none given", Row(md, "resnet20")[5]);
        Assert.Equal("(b) BN after addition", Row(md, "resnet20-bn-after-add")[1]);
        Assert.Contains("Full pre-activation (e) ≤ original (a). — **reproduced**", md);
        Assert.Contains("Original (a) beats BN after addition (b). — **reproduced**", md);
        Assert.Contains("Original (a) beats ReLU before addition (c). — **inconclusive**", md);
        Assert.Contains("Full pre-activation (e) beats ReLU-only pre-activation (d). — **reproduced**", md);
    }

    [Fact]
    public void Should_Check_That_The_Identity_Beats_Every_Other_Shortcut_With_The_Papers_Table_1()
    {
        // Given shortcut-scaling at the paper's depth where the 1x1-conv shortcut beats the identity
        var plan = Experiments.Plan("shortcut-scaling", new ReproduceOptions { Budget = 0.01 });
        var report = new ReproduceReport(plan, [.. plan.Runs.Select(r => Finished(r, 0.1, r.Network switch
        {
            "resnet110" => 0.20,
            "resnet110-conv-shortcut" => 0.15,
            _ => 0.30,
        }))], [], []);

        var md = ReportWriter.Render(report);

        Assert.DoesNotContain("Smaller networks", md);
        Assert.Equal("12.35 shortcut and residual × 0.5 (residual × 1: fails)", Row(md, "resnet110-scale0.5")[5]);
        Assert.Equal("dropout 0.5: fails to converge", Row(md, "resnet110-dropout-shortcut")[5]);
        Assert.Contains("The identity beats constant scaling 0.5. — **reproduced**", md);
        Assert.Contains("The identity beats 1x1 conv shortcuts. — **NOT reproduced**", md);
        Assert.Contains("The identity beats a dropout shortcut. — **reproduced**", md);
        Assert.Contains("A dropout shortcut fails to converge (its training error stays at chance). — **NOT reproduced**", md);
        Assert.Contains("resnet110-dropout-shortcut's training error is", md);
    }

    [Fact]
    public void Should_Reproduce_The_Dropout_Shortcuts_Failure_When_It_Never_Leaves_Chance()
    {
        // Given the dropout shortcut stuck at chance (training error 89.9%, test 90.1%) and ×0.5 scaling stuck as well
        var plan = Experiments.Plan("shortcut-scaling", new ReproduceOptions { Budget = 0.01 });
        var report = new ReproduceReport(plan, [.. plan.Runs.Select(r => r.Network switch
        {
            "resnet110-dropout-shortcut" or "resnet110-scale0.5" => Finished(r, 0.899, 0.901),
            _ => Finished(r, 0.10, 0.20),
        })], [], []);

        var md = ReportWriter.Render(report);

        // Then the failure to converge is the paper's claim reproduced, while a test-error comparison with a run at chance
        // stays inconclusive (the rule of issue 20)
        Assert.Contains("A dropout shortcut fails to converge (its training error stays at chance). — **reproduced**: final training error resnet110-dropout-shortcut 89.90% ± 0.30 vs resnet110 10.00% ± 0.30; resnet110-dropout-shortcut's training error never left chance (90% error).", md);
        Assert.Contains("The identity beats constant scaling 0.5. — **inconclusive**", md);
        Assert.Contains("The identity beats a dropout shortcut. — **inconclusive**", md);
        Assert.Contains("resnet110-scale0.5 never left chance", md);
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
            ["resnet110"] = 0.012,
        };
        var report = new ReproduceReport(plan, [.. plan.Runs.Select(r => Finished(r, train[r.Network], train[r.Network] + 0.05))], [], []);

        var md = ReportWriter.Render(report);

        Assert.Contains("Degradation: plain-56 ends with a higher training error than plain-20. — **reproduced**: plain-56 8.00% ± 0.27 vs plain-20 5.00% ± 0.22", md);
        Assert.Contains("ResNet-56 ends with a lower training error than ResNet-20. — **reproduced**: resnet56 1.00% ± 0.10 vs resnet20 4.00% ± 0.20", md);
        Assert.Contains("ResNet-110 ends with a lower training error than ResNet-56. — **inconclusive**", md);
        Assert.Equal("8.00 ± 0.27", Row(md, "plain-56")[2]);
        Assert.Equal("13.00 ± 0.34", Row(md, "plain-56")[3]);
        Assert.Equal("none given", Row(md, "plain-56")[4]);
        Assert.Equal("yes", Row(md, "plain-56")[5]);
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
        Assert.Equal("40.00 ± 0.49", Row(md, "plain-18")[2]);
        Assert.Equal("27.94", Row(md, "plain-18")[3]);
        Assert.Equal("—", Row(md, "plain-34")[2]);
        Assert.Equal("A", Row(md, "resnet34-a")[1]);
        Assert.Equal("25.03", Row(md, "resnet34-a")[3]);
        Assert.Contains("Not ImageNet", md);
    }

    [Fact]
    public void Should_Call_A_Degradation_Inconclusive_When_The_Deep_Plain_Net_Never_Left_Chance()
    {
        // Given a tiny budget where plain-56 ends at 89.9% training error (chance is 90%) and plain-20 at 80%
        var plan = Experiments.Plan("degradation", new ReproduceOptions { Budget = 0.001 });
        double Train(string net) => net switch { "plain-56" => 0.899, "plain-20" => 0.80, _ => 0.70 };
        var report = new ReproduceReport(plan, [.. plan.Runs.Select(r => Finished(r, Train(r.Network), Train(r.Network)))], [], []);

        var md = ReportWriter.Render(report);

        // Then the claim is inconclusive and says why, and the run is flagged in its row and above the table
        Assert.Contains("Degradation: plain-56 ends with a higher training error than plain-20. — **inconclusive**", md);
        Assert.Contains("plain-56 never left chance", md);
        Assert.Equal("**no: at chance**", Row(md, "plain-56")[5]);
        Assert.Contains("**Never left chance:** plain-56", md);
    }
}
