using ResNetSharp.Analysis;
using ResNetSharp.Reporting;
using ResNetSharp.Reproduce;
using ResNetSharp.Tests.Reporting;
using ResNetSharp.Training;

namespace ResNetSharp.Tests.Reproduce;

public sealed class ReproduceRunnerTests
{
    static string NewFolder() => Path.Combine(Path.GetTempPath(), "resnetsharp-tests", "reproduce", Guid.NewGuid().ToString("N"));

    /// <summary>A fake trainer: final errors depend on the network as in the paper's Fig. 6, and every call is recorded.</summary>
    sealed class FakeTrainer
    {
        public List<(TrainingConfig Config, string Folder)> Calls { get; } = [];
        public Func<TrainingConfig, bool> Interrupt { get; init; } = _ => false;

        public TrainingResult Train(TrainingConfig config, string folder, ITrainingObserver observer, CancellationToken ct)
        {
            Calls.Add((config, folder));
            // the rates a step schedule takes, and a layout notice for plain-56, as the trainer reports them
            observer.Stepped(0, 2.3, config.LearningRate);
            foreach (var (m, i) in config.Milestones.Select((m, i) => (m, i))) observer.Stepped(m, 1.0, config.LearningRate * Math.Pow(0.1, i + 1));
            if (config.Model == "plain-56") observer.Note("channels-last disagrees with the plain layout for plain-56 (relative error 0.01); training in the plain layout");
            var depth = int.Parse(new string([.. config.Model.Where(char.IsAsciiDigit)]));
            var plain = config.Model.StartsWith("plain", StringComparison.Ordinal);
            var train = (plain ? 0.02 + depth / 1000.0 : 0.06 - depth / 2000.0) + config.Seed * 0.001;
            var test = train + 0.05;
            var rows = FakeMetrics.Curve(train, test, iterations: config.Iterations, every: Math.Max(1, config.Iterations / 20), evalEvery: Math.Max(1, config.Iterations / 5));
            return new TrainingResult(folder, rows, test, train, Path.Combine(folder, "latest.ckpt"), null, Interrupt(config));
        }
    }

    [Fact]
    public void Should_Train_Every_Run_Then_Reuse_Finished_Ones_When_Run_Again()
    {
        // Given the degradation plan at a tiny budget and a fake trainer
        var plan = Experiments.Plan("degradation", new ReproduceOptions { Budget = 0.01 });
        var folder = NewFolder();
        var first = new FakeTrainer();

        // When it runs twice
        var outcome = new ReproduceRunner(first.Train).Run(plan, folder);
        var second = new FakeTrainer();
        var again = new ReproduceRunner(second.Train).Run(plan, folder);

        // Then the first trains all 9 runs in their folders, the second reuses them all and trains nothing
        Assert.Equal(plan.Runs.Select(r => Path.Combine(folder, "runs", r.Folder)), first.Calls.Select(c => c.Folder));
        Assert.Equal(plan.Runs.Select(r => r.Config), first.Calls.Select(c => c.Config));
        Assert.True(outcome.Complete);
        Assert.Empty(second.Calls);
        Assert.All(again.Report.Runs, r => Assert.True(r.Reused));
        Assert.Equal(outcome.Report.Runs.Select(r => r.Result!.FinalTestError), again.Report.Runs.Select(r => r.Result!.FinalTestError));
        Assert.Equal(outcome.Report.Runs[0].Result!.Metrics, again.Report.Runs[0].Result!.Metrics);
        Assert.True(File.Exists(Path.Combine(folder, "report.md")));
        Assert.True(File.Exists(Path.Combine(folder, "curves.png")));
    }

    [Fact]
    public void Should_Share_The_Runs_Two_Experiments_Have_In_Common_Through_One_Runs_Folder()
    {
        // Given degradation and responses at the same budget, with separate report folders and one runs folder
        var options = new ReproduceOptions { Budget = 0.01 };
        var root = NewFolder();
        var runs = Path.Combine(root, "runs");
        var trainer = new FakeTrainer();
        static LayerResponseStd Measure(TrainingConfig config, TrainingResult result) => new(["a", "b"], [1.0, 2.0]);

        // When degradation runs, then responses
        var degradation = new ReproduceRunner(trainer.Train).Run(Experiments.Plan("degradation", options), Path.Combine(root, "degradation"), runsDirectory: runs);
        var responses = new ReproduceRunner(trainer.Train, Measure).Run(Experiments.Plan("responses", options), Path.Combine(root, "responses"), runsDirectory: runs);

        // Then responses trains nothing and reuses all five of its nets (degradation trains ResNet-110 too); each experiment has its own report
        Assert.Equal(9, trainer.Calls.Count);
        Assert.Equal("resnet110", trainer.Calls[^1].Config.Model);
        Assert.All(trainer.Calls, c => Assert.StartsWith(runs, c.Folder));
        Assert.Equal(["plain-20", "plain-56", "resnet20", "resnet56", "resnet110"], responses.Report.Runs.Where(r => r.Reused).Select(r => r.Run.Network));
        Assert.NotEqual(degradation.ReportPath, responses.ReportPath);
        Assert.True(File.Exists(degradation.ReportPath));
        Assert.True(File.Exists(responses.ReportPath));
    }

    [Fact]
    public void Should_Stop_At_An_Interrupted_Run_And_Resume_From_It()
    {
        // Given a trainer that is interrupted on plain-44
        var plan = Experiments.Plan("degradation", new ReproduceOptions { Budget = 0.01 });
        var folder = NewFolder();
        var interrupted = new FakeTrainer { Interrupt = c => c.Model == "plain-44" };

        // When the plan runs, and then runs again with a trainer that finishes
        var partial = new ReproduceRunner(interrupted.Train).Run(plan, folder);
        var partialReport = File.ReadAllText(partial.ReportPath);
        var resumed = new FakeTrainer();
        var complete = new ReproduceRunner(resumed.Train).Run(plan, folder);

        // Then the first stops after plain-44 with the rest not run, and the second trains plain-44 onwards only
        Assert.Equal(["plain-20", "plain-32", "plain-44"], interrupted.Calls.Select(c => c.Config.Model));
        Assert.False(partial.Complete);
        Assert.Null(partial.Report.Runs[3].Result);
        Assert.Contains("plain-44-seed0: interrupted", partialReport);
        Assert.Contains("plain-56-seed0: not run", partialReport);
        Assert.Equal(["plain-44", "plain-56", "resnet20", "resnet32", "resnet44", "resnet56", "resnet110"], resumed.Calls.Select(c => c.Config.Model));
        Assert.True(complete.Complete);
    }

    [Fact]
    public void Should_Refuse_A_Finished_Run_Of_Another_Budget_In_The_Same_Folder()
    {
        var folder = NewFolder();
        new ReproduceRunner(new FakeTrainer().Train).Run(Experiments.Plan("cifar-depth", new ReproduceOptions { Budget = 0.01 }), folder);

        var error = Assert.Throws<InvalidDataException>(() =>
            new ReproduceRunner(new FakeTrainer().Train).Run(Experiments.Plan("cifar-depth", new ReproduceOptions { Budget = 0.02 }), folder));

        Assert.Contains("another output folder", error.Message);
    }

    [Fact]
    public void Should_Measure_Responses_Of_One_Seed_Per_Net_And_Plot_Them()
    {
        // Given the responses plan with two seeds and a fake measurement
        var plan = Experiments.Plan("responses", new ReproduceOptions { Budget = 0.01, Seeds = 2 });
        var measured = new List<(string, int)>();
        LayerResponseStd Measure(TrainingConfig config, TrainingResult result)
        {
            measured.Add((config.Model, config.Seed));
            var level = config.Model.StartsWith("plain", StringComparison.Ordinal) ? 2.0 : 60.0 / int.Parse(config.Model[6..]);
            return new LayerResponseStd(["a", "b", "c"], [level, level * 1.2, level * 0.8]);
        }

        // When it runs
        var outcome = new ReproduceRunner(new FakeTrainer().Train, Measure).Run(plan, NewFolder());

        // Then each net is measured once, on seed 0, and both Fig. 7 plots are written and linked
        Assert.Equal([("plain-20", 0), ("plain-56", 0), ("resnet20", 0), ("resnet56", 0), ("resnet110", 0)], measured);
        Assert.Equal(["curves.png", "responses-by-layer.png", "responses-sorted.png"], outcome.Report.Figures);
        var report = File.ReadAllText(outcome.ReportPath);
        Assert.Contains("![responses-sorted.png](responses-sorted.png)", report);
        Assert.Contains("Deeper residual nets respond less: ResNet-20 > ResNet-56 > ResNet-110. — **reproduced**", report);
    }

    [Fact]
    public void Should_Measure_Each_Finished_Run_Once_And_Record_Its_Schedule_And_Notices()
    {
        // Given the degradation plan, a fake trainer and a fake final measurement
        var plan = Experiments.Plan("degradation", new ReproduceOptions { Budget = 0.01 });
        var folder = NewFolder();
        var measured = new List<string>();
        RunMeasurement Measure(TrainingConfig config, TrainingResult result)
        {
            measured.Add(config.Model);
            return new RunMeasurement(result.FinalTrainError, 10_000, 10_000, 10, 1.5);
        }

        // When it runs twice with the measurement
        var first = new ReproduceRunner(new FakeTrainer().Train) { MeasureFinal = Measure }.Run(plan, folder);
        var again = new ReproduceRunner(new FakeTrainer().Train) { MeasureFinal = Measure }.Run(plan, folder);

        // Then every run is measured once (the second invocation reuses the stored measurement)
        Assert.Equal(plan.Networks, measured);
        Assert.All(again.Report.Runs, r => Assert.Equal(10_000, r.Record!.Measurement!.TrainImages));
        // and the report gives each run's schedule as taken, its layout fallback and the measurement it rests on
        var report = File.ReadAllText(again.ReportPath);
        Assert.Contains("| plain-20-seed0 | 0.1; drops at 320 (→ 0.01), 480 (→ 0.001); final 0.001 of 640 it |", report);
        Assert.Contains("Layout fallbacks: plain-56-seed0", report);
        Assert.Contains("10,000 evenly spaced training images", report);
        Assert.Equal(first.Report.Runs.Select(r => r.Record!.Schedule(r.Run.Config)), again.Report.Runs.Select(r => r.Record!.Schedule(r.Run.Config)));
    }
}
