using ResNetSharp.Analysis;
using ResNetSharp.Reproduce;

namespace ResNetSharp.Tests.Reproduce;

public sealed class ShatteredGradientsAnalysisTests
{
    [Fact]
    public void Should_Check_A_Fitted_Rate_Against_The_Prediction_With_Its_Standard_Error()
    {
        static LineFit Line(double se, double r2) => new(-0.6, 0, se, r2, 7);

        // within 2 SE of a good fit: reproduced; far outside: NOT reproduced; a poor fit or no SE: inconclusive
        Assert.Equal(Verdict.Reproduced, ShatteredGradientsAnalysis.RateCheck(0.6, Line(0.05, 0.99), Math.Log(2)).Verdict);
        Assert.Equal(Verdict.NotReproduced, ShatteredGradientsAnalysis.RateCheck(0.6, Line(0.01, 0.99), Math.Log(2)).Verdict);
        Assert.Equal(Verdict.Inconclusive, ShatteredGradientsAnalysis.RateCheck(0.6, Line(0.01, 0.5), Math.Log(2)).Verdict);
        Assert.Equal(Verdict.Inconclusive, ShatteredGradientsAnalysis.RateCheck(0.6, Line(double.NaN, 1), Math.Log(2)).Verdict);
        Assert.Equal(Verdict.NotChecked, ShatteredGradientsAnalysis.RateCheck(null, null, 0.5).Verdict);
    }

    [Fact]
    public void Should_Write_The_Report_And_Its_Sweep_Figures_Without_The_CIFAR_Part()
    {
        // Given a tiny sweep and no CIFAR images
        var folder = Path.Combine(Path.GetTempPath(), "resnetsharp-tests", "shattered", Guid.NewGuid().ToString("N"));
        var options = new ShatteredGradientsOptions { Sweep = new SweepOptions { Width = 16, Points = 32, Depths = [1, 3, 6], Inits = 2 }, Images = 0 };

        // When it is measured and written
        var result = ShatteredGradientsAnalysis.Measure(options);
        var report = File.ReadAllText(ShatteredGradientsAnalysis.Write(folder, result, provenance: null));

        // Then the three sweep figures exist, the CIFAR one does not, and the report has one row per depth and the sweep's claims
        foreach (var png in ShatteredGradientsAnalysis.Figures.Take(3)) Assert.True(new FileInfo(Path.Combine(folder, png)).Length > 1000, png);
        Assert.False(File.Exists(Path.Combine(folder, "cifar-correlation.png")));
        Assert.Contains("| 6 | ", report);
        Assert.Contains("Residual nets with BN: the correlation decays like 1/√L", report);
        Assert.Contains("Plain + BN nets: the correlation decays like 2^(−L)", report);
        Assert.DoesNotContain("CIFAR, ", report);
        Assert.Equal(3 * 3, result.Sweep.Count);
    }
}
