using System.Text.Json;
using ResNetSharp.Models;
using ResNetSharp.Reproduce;
using ResNetSharp.Training;

namespace ResNetSharp.Tests.Reproduce;

public sealed class ExperimentsTests
{
    [Fact]
    public void Should_Plan_Table_6_With_The_Full_Paper_Schedule_By_Default()
    {
        // When the cifar-depth plan is made with default options
        var plan = Experiments.Plan("cifar-depth");

        // Then it trains the five depths once each on CIFAR-10 with the paper's recipe, unscaled
        Assert.Equal(["resnet20", "resnet32", "resnet44", "resnet56", "resnet110"], plan.Networks);
        Assert.All(plan.Runs, r =>
        {
            Assert.Equal(Recipes.PaperCifar with { Model = r.Network, Data = "cifar10" }, r.Config with { Milestones = Recipes.PaperCifar.Milestones });
            Assert.Equal(64_000, r.Config.Iterations);
            Assert.Equal([32_000, 48_000], r.Config.Milestones);
        });
        Assert.Equal("resnet110-seed0", plan.Runs[4].Folder);
        Assert.Contains("full paper schedule", plan.Protocol.Schedule);
    }

    [Fact]
    public void Should_Scale_Every_Schedule_And_Run_Every_Seed()
    {
        // When the degradation plan is made with budget 0.05 and 3 seeds
        var plan = Experiments.Plan("degradation", new ReproduceOptions { Budget = 0.05, Seeds = 3 });

        // Then 9 nets (Fig. 6 draws ResNet-110 too) x 3 seeds, each with the scaled schedule and its own seed and folder
        Assert.Equal(27, plan.Runs.Count);
        Assert.Equal(["plain-20", "plain-32", "plain-44", "plain-56", "resnet20", "resnet32", "resnet44", "resnet56", "resnet110"], plan.Networks);
        Assert.All(plan.Runs, r => Assert.Equal(3_200, r.Config.Iterations));
        Assert.All(plan.Runs, r => Assert.Equal([1_600, 2_400], r.Config.Milestones));
        Assert.Equal([0, 1, 2], plan.Runs.Where(r => r.Network == "plain-56").Select(r => r.Config.Seed));
        Assert.Equal(plan.Runs.Count, plan.Runs.Select(r => r.Folder).Distinct().Count());
        Assert.Equal("plain", plan.Runs[0].Group);
        Assert.Contains("budget 0.05", plan.Protocol.Schedule);
        Assert.Contains("3 seeds", plan.Protocol.Seeds);
        Assert.All(plan.Runs, r => Assert.Equal(0, r.Config.EvalEvery)); // 8 epochs: evaluated once per epoch
    }

    [Fact]
    public void Should_Zero_Initialise_Only_The_Residual_Nets_When_Asked()
    {
        // When the degradation plan is made with and without zero-initialised residual units
        var paper = Experiments.Plan("degradation", new ReproduceOptions { Budget = 0.01 });
        var zeroInit = Experiments.Plan("degradation", new ReproduceOptions { Budget = 0.01, ZeroInitResidual = true });

        // Then by default no net is, and with the option exactly the residual ones are, and the protocol says so
        Assert.All(paper.Runs, r => Assert.False(r.Config.ZeroInitLast));
        Assert.All(zeroInit.Runs, r => Assert.Equal(r.Group == "residual", r.Config.ZeroInitLast));
        static string[] PlainConfigs(ExperimentPlan plan) => [.. plan.Runs.Where(r => r.Group == "plain").Select(r => JsonSerializer.Serialize(r.Config))];
        Assert.Equal(PlainConfigs(paper), PlainConfigs(zeroInit)); // so plain runs are shared between the two
        Assert.DoesNotContain("BN scale at zero", paper.Protocol.Schedule);
        Assert.Contains("residual nets start with each unit's last BN scale at zero", zeroInit.Protocol.Schedule);
        Assert.Contains("plain nets have no such scale and keep the paper's init", zeroInit.Protocol.Schedule);
    }

    [Fact]
    public void Should_Evaluate_A_Budget_Of_Under_Four_Epochs_Four_Times()
    {
        // When the degradation plan is made with a budget of 512 iterations (1.3 epochs)
        var plan = Experiments.Plan("degradation", new ReproduceOptions { Budget = 0.008 });

        // Then every run evaluates every 128 iterations, so each test-error curve has four points
        Assert.All(plan.Runs, r => Assert.Equal(512, r.Config.Iterations));
        Assert.All(plan.Runs, r => Assert.Equal(128, r.Config.EvalEvery));
    }

    [Fact]
    public void Should_Cap_Evaluation_At_A_Quarter_Of_Training_And_Say_So()
    {
        // When the degradation plan is made with a budget of 32 iterations (4,096 training images; one test pass is 10,000)
        var plan = Experiments.Plan("degradation", new ReproduceOptions { Budget = 0.0005 });

        // Then every run is evaluated once, at its end, and the protocol says why, the measurement and the budget
        Assert.All(plan.Runs, r => Assert.Equal(32, r.Config.Iterations));
        Assert.All(plan.Runs, r => Assert.Equal(32, r.Config.EvalEvery));
        Assert.Contains("evaluated once, at the end", plan.Protocol.Schedule);
        Assert.Contains("budget 0.0005", plan.Protocol.Schedule);
        Assert.Contains("10,000 evenly spaced training images", plan.Protocol.Measured);
        Assert.DoesNotContain("/", plan.Protocol.Data);
    }

    [Fact]
    public void Should_Be_A_Pure_Function_Of_Its_Inputs()
    {
        var options = new ReproduceOptions { Budget = 0.1, Seeds = 2, Data = "/data/tiny", Extended = true };

        var first = Experiments.Plan("imagenet-depth", options);
        var second = Experiments.Plan("imagenet-depth", options);

        Assert.Equal(first.Runs.Select(r => (r.Folder, r.Network, r.Group, r.Seed)), second.Runs.Select(r => (r.Folder, r.Network, r.Group, r.Seed)));
        Assert.Equal(first.Protocol, second.Protocol);
        Assert.Equal(["plain-18", "plain-34", "resnet18-a", "resnet34-a", "resnet50", "resnet101", "resnet152"], first.Networks);
    }

    [Fact]
    public void Should_Train_The_ImageNet_Experiments_On_The_Given_ImageFolder_At_A_Small_Crop()
    {
        // When the shortcuts plan is made on an ImageFolder with a 10% budget
        var plan = Experiments.Plan("shortcuts", new ReproduceOptions { Data = "/data/cifar-10-jpeg.tar.gz", Budget = 0.1 });

        // Then plain-34 and ResNet-34 A/B/C train with the ImageNet recipe on that folder at 64 px, evaluated 10x as often
        Assert.Equal(["plain-34", "resnet34-a", "resnet34", "resnet34-c"], plan.Networks);
        Assert.Equal(["plain", "A", "B", "C"], plan.Runs.Select(r => r.Group));
        Assert.All(plan.Runs, r =>
        {
            Assert.Equal("paper-imagenet", r.Config.Recipe);
            Assert.Equal("/data/cifar-10-jpeg.tar.gz", r.Config.Data);
            Assert.Equal(64, r.Config.CropSize);
            Assert.Equal(60_000, r.Config.Iterations);
            Assert.Equal(500, r.Config.EvalEvery);
            Assert.Null(r.Config.Classes);
        });
        Assert.Contains("10-crop", plan.Protocol.Views);
    }

    [Theory]
    [InlineData("shortcuts")]
    [InlineData("imagenet-depth")]
    public void Should_Ask_For_An_ImageFolder_For_The_ImageNet_Experiments(string experiment)
    {
        var error = Assert.Throws<ArgumentException>(() => Experiments.Plan(experiment));

        Assert.Contains("--data", error.Message);
    }

    [Fact]
    public void Should_Name_The_Known_Experiments_For_An_Unknown_One()
    {
        var error = Assert.Throws<ArgumentException>(() => Experiments.Plan("cifar-dept"));

        Assert.Contains("cifar-depth", error.Message);
        Assert.Contains("degradation", error.Message);
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(1.5)]
    public void Should_Refuse_A_Budget_Outside_Zero_To_One(double budget)
    {
        Assert.Throws<ArgumentException>(() => Experiments.Plan("cifar-depth", new ReproduceOptions { Budget = budget }));
    }

    [Fact]
    public void Should_Plan_The_Identity_Mappings_Experiments_At_The_Papers_Depth_Or_The_Given_One()
    {
        // Given the two trained Identity Mappings experiments, at the default depth and at --depth 32
        var placement = Experiments.Plan("activation-placement");
        var shortcuts = Experiments.Plan("shortcut-scaling", new ReproduceOptions { Depth = 32 });

        // Then they train the five units of Fig. 4 at 110 layers, and the six shortcuts of Table 1 at 32, each a listed-style name
        Assert.Equal(["resnet110", "resnet110-bn-after-add", "resnet110-relu-before-add", "resnet110-relu-preact", "preact-resnet110-basic-a"], placement.Networks);
        Assert.Equal(["resnet32", "resnet32-scale0.5", "resnet32-gate", "resnet32-shortcut-gate0", "resnet32-conv-shortcut", "resnet32-dropout-shortcut"], shortcuts.Networks);
        Assert.All(placement.Networks.Concat(shortcuts.Networks), n => Assert.Equal(n, ModelZoo.Get(n).Name));
        Assert.Equal(6.37, PaperNumbers.For("activation-placement", "preact-resnet110-basic-a")!.Top1);
        Assert.Equal(12.35, PaperNumbers.For("shortcut-scaling", "resnet110-scale0.5")!.Top1);
        Assert.Throws<ArgumentException>(() => Experiments.Plan("shortcut-scaling", new ReproduceOptions { Depth = 33 }));
    }

    [Fact]
    public void Should_Add_ResNet_1202_Only_When_Extended()
    {
        Assert.DoesNotContain("resnet1202", Experiments.Plan("cifar-depth").Networks);
        Assert.Equal("resnet1202", Experiments.Plan("cifar-depth", new ReproduceOptions { Extended = true }).Networks[^1]);
    }

    [Fact]
    public void Should_Format_Seeds_As_The_Paper_Does()
    {
        Assert.Equal("6.43 best of 3 (6.61 ± 0.18)", new SeedStatistics([0.0661, 0.0643, 0.0679]).Format());
        Assert.Equal("8.75", new SeedStatistics([0.0875]).Format());
        Assert.Equal(0.01, new SeedStatistics([0.1, 0.12, 0.11]).Std, 12);
    }
}
