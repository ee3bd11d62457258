using ResNetSharp.Pretrained;
using ResNetSharp.Training;

namespace ResNetSharp.Tests.Pretrained;

public sealed class TrainCommandLineTests
{
    [Fact]
    public void Should_Write_Only_The_Flags_Of_Fields_That_Differ_From_The_Recipe()
    {
        // Given the paper's recipe with a few fields changed
        var config = Recipes.PaperCifar with
        {
            Model = "resnet56",
            Data = "/data/cifar 10.tar.gz",
            Seed = 3,
            Iterations = 640,
            Milestones = [320, 480],
            ZeroInitLast = true,
            ProgressiveResize = [new ResizePhase(16, 0.35)],
            DecayNormAndBias = false,
        };

        // When its command is written
        var args = TrainCommandLine.Arguments(config);

        // Then it names the recipe and exactly the changed fields, and the one-line form quotes the path with a space
        Assert.Equal(
            ["train", "--recipe", "paper-cifar", "--model", "resnet56", "--data", "/data/cifar 10.tar.gz", "--progressive", "16:0.35",
             "--no-decay-norm-bias", "--iterations", "640", "--milestones", "320,480", "--seed", "3", "--zero-init"],
            args);
        Assert.Equal("resnet train --recipe paper-cifar --model resnet56 --data '/data/cifar 10.tar.gz' --progressive 16:0.35 --no-decay-norm-bias " +
                     "--iterations 640 --milestones 320,480 --seed 3 --zero-init", TrainCommandLine.Format(args));
        Assert.Equal(["train", "--recipe", "cifar-cpu"], TrainCommandLine.Arguments(Recipes.CifarCpu));
    }

    [Fact]
    public void Should_Fall_Back_To_The_Config_File_When_No_Flag_Sets_A_Changed_Field()
    {
        // Given configurations changed where no flag reaches: the division factor, and a switch the recipe has on
        var gamma = Recipes.PaperCifar with { Gamma = 0.2 };
        var channelsFirst = Recipes.PaperCifar with { ChannelsLast = false };

        // When their commands are written, Then both run the resolved config.json, which is exact
        Assert.Equal(["train", "--config", "config.json"], TrainCommandLine.Arguments(gamma));
        Assert.Equal(["train", "--config", "config.json"], TrainCommandLine.Arguments(channelsFirst));
    }
}
