using ResNetSharp.Analysis;
using static TorchSharp.torch;

namespace ResNetSharp.Tests.Analysis;

public sealed class ShatteredGradientsTests
{
    [Fact]
    public void Should_Give_The_Cosine_Of_The_Lag_For_A_Sine()
    {
        // Given a sine of 20 periods over 1,000 samples
        const double omega = 2 * Math.PI * 20 / 1000;
        var signal = Enumerable.Range(0, 1000).Select(i => Math.Sin(omega * i)).ToArray();

        // When its autocorrelation is taken
        var r = ShatteredGradients.Autocorrelation(signal, 60);

        // Then it is the cosine of the lag (up to the partial period at the ends)
        for (var k = 0; k <= 60; k++) Assert.Equal(Math.Cos(omega * k), r[k], 0.02);
        Assert.Equal(1, r[0], 12);
        Assert.True(r[25] < -0.95); // half a period: anti-correlated
    }

    [Fact]
    public void Should_Be_Near_Zero_Beyond_Lag_0_For_White_Noise_And_One_For_A_Constant()
    {
        // Given white noise of 4,096 samples and a constant
        var rng = new Random(5);
        var noise = Enumerable.Range(0, 4096).Select(_ => rng.NextDouble() - 0.5).ToArray();
        var constant = Enumerable.Repeat(-3.0, 100).ToArray();

        // When their autocorrelations are taken
        var rn = ShatteredGradients.Autocorrelation(noise, 20);
        var rc = ShatteredGradients.Autocorrelation(constant, 99);

        // Then noise correlates 1 with itself and about 0 (within 4/√n) at every other lag; the constant 1 at every lag
        Assert.Equal(1, rn[0], 12);
        for (var k = 1; k <= 20; k++) Assert.InRange(rn[k], -4 / Math.Sqrt(4096), 4 / Math.Sqrt(4096));
        Assert.All(rc, v => Assert.Equal(1, v, 12));
    }

    [Fact]
    public void Should_Refuse_A_Lag_Beyond_The_Signal_And_Give_NaN_For_Zeros()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => ShatteredGradients.Autocorrelation([1.0, 2.0], 2));
        Assert.True(double.IsNaN(ShatteredGradients.Autocorrelation([0.0, 0.0, 0.0], 1)[1]));
    }

    [Fact]
    public void Should_Give_The_Derivative_Of_A_One_Layer_Plain_Net_By_Hand()
    {
        // Given a plain net of one hidden layer of 7 units: f(x) = Σ v_j ReLU(a_j x + b_j) + c
        using var net = SweepNetwork.Create(SweepNet.Plain, depth: 1, width: 7, seed: 3);
        var a = net.Weights[0].data<double>().ToArray();
        var b = net.Biases[0].data<double>().ToArray();
        var v = net.Weights[1].data<double>().ToArray();
        Assert.Equal(2, net.Weights.Count);
        double[] xs = [-1.9, -0.7, -0.05, 0.3, 1.1, 1.8];

        // When its gradients are computed
        var g = net.Gradients(xs);

        // Then each is Σ v_j a_j [a_j x + b_j > 0]
        for (var i = 0; i < xs.Length; i++)
        {
            var byHand = Enumerable.Range(0, 7).Sum(j => a[j] * xs[i] + b[j] > 0 ? v[j] * a[j] : 0);
            Assert.Equal(byHand, g[i], 10);
        }
        Assert.True(g.Distinct().Count() > 1); // the biases put kinks inside the range
    }

    [Fact]
    public void Should_Give_The_Derivative_Of_A_One_Unit_Residual_Net_With_The_Batchs_Statistics_Held_Fixed()
    {
        // Given a residual net of one unit: h = a x + b, z = (h − μ)/√(σ² + ε) over the batch, f = v·(h + W ReLU(z) + c) + d
        using var net = SweepNetwork.Create(SweepNet.Residual, depth: 1, width: 5, seed: 8);
        var a = net.Weights[0].data<double>().ToArray();
        var b = net.Biases[0].data<double>().ToArray();
        var w = net.Weights[1].data<double>().ToArray(); // [5, 5] row-major
        var v = net.Weights[2].data<double>().ToArray();
        double[] xs = [-2, -1.2, -0.4, 0.1, 0.9, 1.5, 2];
        var mean = xs.Average();
        var variance = xs.Average(x => (x - mean) * (x - mean));

        // When its gradients are computed
        var g = net.Gradients(xs);

        // Then ∂f/∂x = v·a + Σ_k v_k Σ_j W_kj [z_j > 0] a_j / √(a_j² var(x) + ε): the batch's mean and variance do not move with x
        for (var i = 0; i < xs.Length; i++)
        {
            var byHand = Enumerable.Range(0, 5).Sum(k => v[k] * a[k]);
            for (var j = 0; j < 5; j++)
            {
                var std = Math.Sqrt(a[j] * a[j] * variance + SweepNetwork.Epsilon);
                var z = (a[j] * xs[i] + b[j] - (a[j] * mean + b[j])) / std;
                if (z <= 0) continue;
                for (var k = 0; k < 5; k++) byHand += v[k] * w[k * 5 + j] * a[j] / std;
            }
            Assert.Equal(byHand, g[i], 9);
        }
    }

    [Fact]
    public void Should_Draw_The_Same_Net_From_The_Same_Seed_And_He_Scaled_Weights()
    {
        using var one = SweepNetwork.Create(SweepNet.PlainBatchNorm, 3, 300, seed: 4);
        using var two = SweepNetwork.Create(SweepNet.PlainBatchNorm, 3, 300, seed: 4);
        using var other = SweepNetwork.Create(SweepNet.PlainBatchNorm, 3, 300, seed: 5);
        Assert.Equal(one.Weights[1].data<double>().ToArray(), two.Weights[1].data<double>().ToArray());
        Assert.NotEqual(one.Weights[1].data<double>().ToArray(), other.Weights[1].data<double>().ToArray());
        // He: variance 2/fan_in (90,000 draws: the sample variance is within 2% of it)
        var hidden = one.Weights[1].data<double>().ToArray();
        Assert.Equal(2.0 / 300, hidden.Average(x => x * x), 2.0 / 300 * 0.02);
    }

    [Fact]
    public void Should_Recover_A_Known_Exponential_Rate_And_Power()
    {
        // Given correlations 0.9·e^(−0.3 L) and 0.8·L^(−0.5) with a little multiplicative noise, and a negative value to leave out
        double[] depths = [2, 4, 8, 16, 24, 32, 50];
        var rng = new Random(2);
        var exponential = depths.Select(l => 0.9 * Math.Exp(-0.3 * l) * (1 + 0.01 * (rng.NextDouble() - 0.5))).ToArray();
        var power = depths.Select(l => 0.8 * Math.Pow(l, -0.5) * (1 + 0.01 * (rng.NextDouble() - 0.5))).ToArray();
        power[^1] = -0.01;

        // When they are fitted
        var e = ShatteredGradients.FitExponential(depths, exponential);
        var p = ShatteredGradients.FitPower(depths, power);

        // Then the rate and the exponent come back, with small standard errors and R² near 1
        Assert.Equal(0.3, e.Rate, 0.002);
        Assert.Equal(0.5, p.Exponent, 0.01);
        Assert.Equal(6, p.Line.Points);
        Assert.True(e.Line.SlopeStandardError < 0.002 && e.Line.RSquared > 0.999);
        Assert.Equal(0.9 * Math.Exp(-0.3 * 10), e.At(10), 0.01);
    }

    [Fact]
    public void Should_Fit_A_Line_And_Its_Slopes_Standard_Error()
    {
        // y = 1 + 2x with residuals ±0.5: the slope's SE is √(Σr²/(n−2)/Sxx)
        var fit = LineFit.Of([0, 1, 2, 3], [1.5, 2.5, 5.5, 6.5]);
        Assert.Equal(1.8, fit.Slope, 12);
        Assert.Equal(1.3, fit.Intercept, 12);
        var residuals = new[] { 1.5 - 1.3, 2.5 - 3.1, 5.5 - 4.9, 6.5 - 6.7 };
        Assert.Equal(Math.Sqrt(residuals.Sum(x => x * x) / 2 / 5), fit.SlopeStandardError, 12);
        Assert.Throws<ArgumentException>(() => LineFit.Of([1, 1], [2, 3]));
    }

    [Fact]
    public void Should_Find_Plain_Nets_Gradients_Decorrelating_With_Depth_Faster_Than_Residual_Nets()
    {
        // Given a small sweep: width 48, 128 points, depths 2 and 24, 4 initialisations
        var options = new SweepOptions { Width = 48, Points = 128, Depths = [2, 24], Inits = 4, Seed = 7 };

        // When it is measured
        var sweep = ShatteredGradients.MeasureSweep(options);

        // Then the plain net with BN loses more of its lag-1 correlation from depth 2 to 24 than the residual net does
        double Lag1(SweepNet net, int depth) => sweep.Single(m => m.Net == net && m.Depth == depth).Lag1;
        Assert.Equal(3 * 2, sweep.Count);
        Assert.All(sweep, m => Assert.Equal(4, m.Lag1PerInit.Count));
        Assert.All(sweep, m => Assert.Equal(65, m.Autocorrelation.Count));
        var plainDrop = Lag1(SweepNet.PlainBatchNorm, 2) - Lag1(SweepNet.PlainBatchNorm, 24);
        var residualDrop = Lag1(SweepNet.Residual, 2) - Lag1(SweepNet.Residual, 24);
        Assert.True(plainDrop > residualDrop, $"plain + BN fell by {plainDrop:0.000}, residual by {residualDrop:0.000}");
        Assert.True(Lag1(SweepNet.PlainBatchNorm, 24) < Lag1(SweepNet.Residual, 24));
    }

    [Fact]
    public void Should_Correlate_A_CIFAR_Nets_Gradient_Fully_With_An_Identical_Copy_And_Less_With_Shifted_Ones()
    {
        // Given resnet8 at initialisation and 3 random 16x16 images
        manual_seed(1);
        using var model = ResNetSharp.Models.ModelZoo.Create("resnet8");
        using var images = randn(3, 3, 16, 16);

        // When gradients of shifted copies and of a mix with a tiny t are compared
        var c = ShatteredGradients.MeasureImages(model, images, [1, 3], [1e-6, 0.5], chunk: 5);

        // Then a near-identical image correlates about 1, shifted and half-mixed ones less, and every value is a correlation
        Assert.Equal(2, c.ByShift.Count);
        Assert.All(c.ByMix[0], v => Assert.Equal(1, v, 3));
        Assert.All(c.ByShift.Concat(c.ByMix).SelectMany(v => v), v => Assert.InRange(v, -1, 1));
        Assert.True(c.ByMix[1].Average() < 0.99);
        Assert.True(c.ByShift[1].Average() < 0.99);
        Assert.Throws<ArgumentOutOfRangeException>(() => ShatteredGradients.MeasureImages(model, images, [16], []));
    }
}
