using ResNetSharp.Reproduce;
using ResNetSharp.Training;

namespace ResNetSharp.Tests.Reproduce;

public sealed class VerdictsTests
{
    [Fact]
    public void Should_Give_The_Binomial_Standard_Error_Of_One_Seed_And_The_Seed_Spread_When_Larger()
    {
        // Given an error of 10% on 10,000 images, and three seeds that disagree by far more than that
        var one = Estimate.OfErrors([0.10], 10_000);
        var seeds = Estimate.OfErrors([0.10, 0.14, 0.12], 10_000);

        // Then one seed's SE is √(0.1·0.9/10,000) = 0.3%, and the seeds' is their std / √3 = 1.15%
        Assert.Equal(0.003, one.StandardError, 6);
        Assert.Equal(0.12, seeds.Value, 12);
        Assert.Equal(0.02 / Math.Sqrt(3), seeds.StandardError, 6);
    }

    [Fact]
    public void Should_Reproduce_A_Clear_Win()
    {
        // Given 8% against 5%, each on 10,000 images (SEs 0.27% and 0.22%: the gap is 8.6 combined SEs)
        var check = Verdicts.Compare("plain-56", Estimate.OfErrors([0.08], 10_000), "plain-20", Estimate.OfErrors([0.05], 10_000), aHigher: true, chance: 0.9);

        Assert.Equal(Verdict.Reproduced, check.Verdict);
        Assert.Contains("8.6 combined standard errors", check.Reason);
    }

    [Fact]
    public void Should_Not_Reproduce_A_Clear_Loss()
    {
        var check = Verdicts.Compare("plain-56", Estimate.OfErrors([0.05], 10_000), "plain-20", Estimate.OfErrors([0.08], 10_000), aHigher: true, chance: 0.9);

        Assert.Equal(Verdict.NotReproduced, check.Verdict);
    }

    [Fact]
    public void Should_Call_A_Difference_Within_Noise_Inconclusive_Whatever_Its_Sign()
    {
        // Given 30 images of difference on 1,792 (the case: about 1.2 standard errors)
        var a = Estimate.OfErrors([0.500], 1_792);
        var b = Estimate.OfErrors([0.517], 1_792);

        var right = Verdicts.Compare("a", a, "b", b, aHigher: false, chance: 0.9);
        var wrong = Verdicts.Compare("a", a, "b", b, aHigher: true, chance: 0.9);

        Assert.Equal(Verdict.Inconclusive, right.Verdict);
        Assert.Equal(Verdict.Inconclusive, wrong.Verdict);
        Assert.Contains("within noise", wrong.Reason);
    }

    [Fact]
    public void Should_Call_A_Comparison_With_A_Run_At_Chance_Inconclusive()
    {
        // Given plain-56 at 89.9% (chance 90%) "clearly" above plain-20 at 80%
        var check = Verdicts.Compare("plain-56", Estimate.OfErrors([0.899], 10_000), "plain-20", Estimate.OfErrors([0.80], 10_000), aHigher: true, chance: 0.9);

        Assert.Equal(Verdict.Inconclusive, check.Verdict);
        Assert.Equal("plain-56 never left chance (90% error)", check.Reason);
        Assert.False(Estimate.OfErrors([0.80], 10_000).AtChance(0.9));
    }

    [Fact]
    public void Should_Call_A_Failure_To_Converge_Reproduced_Only_At_Chance()
    {
        // Given chance at 90%: a run at 89.9% has not left it, one at 85% on 10,000 images is 14 standard errors below it
        var stuck = Verdicts.FailsToConverge("dropout", Estimate.OfErrors([0.899], 10_000), chance: 0.9);
        var trained = Verdicts.FailsToConverge("dropout", Estimate.OfErrors([0.85], 10_000), chance: 0.9);

        Assert.Equal(Verdict.Reproduced, stuck.Verdict);
        Assert.Equal("dropout's training error never left chance (90% error)", stuck.Reason);
        Assert.Equal(Verdict.NotReproduced, trained.Verdict);
        Assert.Equal("dropout's training error is 14.0 standard errors below chance (90% error): it trained", trained.Reason);
        Assert.Equal(Verdict.NotChecked, Verdicts.FailsToConverge("dropout", null, 0.9).Verdict);
        Assert.Equal(Verdict.Inconclusive, Verdicts.FailsToConverge("dropout", Estimate.OfErrors([0.899], 10_000), chance: null).Verdict);
    }

    [Fact]
    public void Should_Not_Check_A_Claim_Without_Its_Runs()
    {
        Assert.Equal(Verdict.NotChecked, Verdicts.Compare("a", null, "b", Estimate.OfErrors([0.1], 100), aHigher: true, chance: null).Verdict);
    }

    [Fact]
    public void Should_Check_A_Falling_Chain_Pair_By_Pair()
    {
        Estimate E(double p) => Estimate.OfErrors([p], 10_000);

        var clear = Verdicts.Falling([("r20", E(0.09)), ("r56", E(0.07)), ("r110", E(0.06))], chance: 0.9);
        var flat = Verdicts.Falling([("r20", E(0.09)), ("r56", E(0.07)), ("r110", E(0.0705))], chance: 0.9);
        var rising = Verdicts.Falling([("r20", E(0.09)), ("r56", E(0.07)), ("r110", E(0.09))], chance: 0.9);

        Assert.Equal(Verdict.Reproduced, clear.Verdict);
        Assert.Equal(Verdict.Inconclusive, flat.Verdict);
        Assert.Contains("r110 < r56", flat.Reason);
        Assert.Equal(Verdict.NotReproduced, rising.Verdict);
    }
}

public sealed class RunRecordTests
{
    static readonly TrainingConfig Planned = Recipes.PaperCifar.Scaled(0.001); // 64 it, drops planned at 32 and 48

    [Fact]
    public void Should_Say_When_A_Warm_Up_Never_Ended_And_The_Planned_Drops_Were_Not_Taken()
    {
        // Given ResNet-110's paper warm-up at 0.01 that lasted the whole 64-iteration run
        var record = new RunRecord([new RateChange(0, 0.01)], [], 10, null);

        Assert.Equal("warm-up from 0.01 throughout: never reached 0.1, so the planned drops at 32, 48 were not taken; final 0.01 of 64 it", record.Schedule(Planned));
    }

    [Fact]
    public void Should_List_The_Warm_Up_And_The_Drops_Actually_Taken()
    {
        var record = new RunRecord([new RateChange(0, 0.01), new RateChange(5, 0.1), new RateChange(32, 0.01)], [], 10, null);

        Assert.Equal("warm-up from 0.01 until it 5; 0.1; drops at 32 (→ 0.01); final 0.01 of 64 it", record.Schedule(Planned));
    }
}
