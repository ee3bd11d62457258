using ResNetSharp.Training;

namespace ResNetSharp.Tests.Training;

public sealed class LearningRateScheduleTests
{
    [Theory] // section 4.2: 0.1, divided by 10 at 32k and 48k
    [InlineData(0, 0.1)]
    [InlineData(31_999, 0.1)]
    [InlineData(32_000, 0.01)]
    [InlineData(47_999, 0.01)]
    [InlineData(48_000, 0.001)]
    [InlineData(63_999, 0.001)]
    public void Should_Divide_By_Ten_At_The_Papers_Iterations(long iteration, double expected)
    {
        var schedule = new LearningRateSchedule(Recipes.PaperCifar, depth: 20);

        Assert.Equal(expected, schedule.At(iteration), 12);
    }

    [Fact]
    public void Should_Warm_Up_Deep_Nets_At_0_01_Until_Training_Error_Is_Below_80_Percent()
    {
        // Given ResNet-110 on the paper's recipe
        var schedule = new LearningRateSchedule(Recipes.PaperCifar, depth: 110);

        // When the training error stays high, the rate stays at 0.01
        for (var i = 0; i < 100; i++) schedule.ObserveTrainingError(0.9);
        Assert.Equal(0.01, schedule.At(100));

        // Then once the recent errors average below 80% it goes back to 0.1 for good
        for (var i = 0; i < LearningRateSchedule.WarmupWindow; i++) schedule.ObserveTrainingError(0.7);
        Assert.Equal(0.1, schedule.At(400));
        schedule.ObserveTrainingError(0.95);
        Assert.Equal(0.1, schedule.At(401));
    }

    [Fact]
    public void Should_Not_Warm_Up_Shallow_Nets()
    {
        var schedule = new LearningRateSchedule(Recipes.PaperCifar, depth: 56);

        Assert.False(schedule.PaperWarmupApplies);
        Assert.Equal(0.1, schedule.At(0));
    }

    [Fact]
    public void Should_Divide_When_The_Validation_Error_Plateaus()
    {
        var config = Recipes.PaperImageNet with { PlateauPatience = 2 };
        var schedule = new LearningRateSchedule(config, depth: 34);

        schedule.ObserveValidationError(0.5);
        schedule.ObserveValidationError(0.4);
        Assert.Equal(0.1, schedule.At(0), 12);
        schedule.ObserveValidationError(0.4);
        Assert.False(schedule.ObserveValidationError(0.41) is false && schedule.At(0) == 0.1);
        Assert.Equal(0.01, schedule.At(0), 12);
    }

    [Fact]
    public void Should_Run_Cosine_From_Peak_To_Zero_After_Linear_Warm_Up()
    {
        var config = Recipes.PaperCifar with { Schedule = ScheduleKind.Cosine, Iterations = 1000, WarmupIterations = 100, PaperWarmupLearningRate = null };
        var schedule = new LearningRateSchedule(config, depth: 20);

        Assert.Equal(0.1 / 100, schedule.At(0), 12);
        Assert.Equal(0.1, schedule.At(99), 12);
        Assert.Equal(0.1, schedule.At(100), 12);
        Assert.Equal(0.05, schedule.At(550), 12);
        Assert.Equal(0.0, schedule.At(1000), 12);
    }

    [Fact]
    public void Should_Scale_A_Schedule_To_A_Budget()
    {
        var quarter = Recipes.PaperCifar.Scaled(0.25);

        Assert.Equal(16_000, quarter.Iterations);
        Assert.Equal([8_000, 12_000], quarter.Milestones);
    }
}
