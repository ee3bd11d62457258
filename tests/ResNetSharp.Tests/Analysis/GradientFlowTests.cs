using ResNetSharp.Analysis;
using ResNetSharp.Models;
using ResNetSharp.Reproduce;
using static TorchSharp.torch;
using ResNet = ResNetSharp.Models.ResNet;

namespace ResNetSharp.Tests.Analysis;

public sealed class GradientFlowTests
{
    [Fact]
    public void Should_Measure_The_Gradient_At_Each_Unit_Input_As_A_Hand_Computation_Gives_It()
    {
        // Given a 3-unit net (one stage, 16 channels) with shortcut × 0.7 and its residual branches at zero, so that each unit
        // is ReLU(0.7·x) = 0.7·x on the non-negative stem output, and a batch of 4 images with labels
        const double lambda = 0.7;
        var spec = ModelZoo.Get("resnet8-shortcut-scale0.7") with { BlocksPerStage = [3], Widths = [16], ZeroInitLast = true };
        manual_seed(5);
        using var net = new ResNet(spec);
        using var scope = NewDisposeScope();
        var x = randn(4, 3, 8, 8);
        var labels = tensor(new long[] { 0, 3, 7, 9 });

        // When the gradient norms at the three unit inputs are measured
        var norms = GradientFlow.Measure(net, x, labels);

        // Then they are the hand computation's: stem conv, train-mode BN (scale 1, shift 0), ReLU → x0; x3 = λ³·x0; the loss
        // gradient at x3 is W_fcᵀ(softmax − one-hot)/N spread over the H·W pixels of the average pool, kept where x0 > 0;
        // each unit crossed back multiplies it by λ
        var state = net.state_dict();
        var y = nn.functional.conv2d(x, state["conv1.weight"], padding: [1, 1]);
        var mean = y.mean([0, 2, 3], keepdim: true);
        var variance = (y - mean).square().mean([0, 2, 3], keepdim: true);
        var x0 = ((y - mean) / (variance + 1e-5).sqrt()).clamp_min(0);
        var x3 = x0 * Math.Pow(lambda, 3);
        var logits = x3.mean([2, 3]).matmul(state["fc.weight"].t()) + state["fc.bias"];
        var dLogits = (logits.softmax(1) - nn.functional.one_hot(labels, 10).to_type(ScalarType.Float32)) / 4;
        var dFeatures = dLogits.matmul(state["fc.weight"]);
        var gOut = dFeatures.view(4, 16, 1, 1).expand(4, 16, 8, 8) / 64 * x0.gt(0).to_type(ScalarType.Float32);
        var last = gOut.norm().item<float>();
        double[] expected = [Math.Pow(lambda, 3) * last, Math.Pow(lambda, 2) * last, lambda * last];
        Assert.Equal(3, norms.Count);
        for (var i = 0; i < 3; i++) Assert.Equal(expected[i], norms[i], expected[i] * 1e-4);
    }

    [Fact]
    public void Should_Fit_The_Slope_Of_A_Known_Line()
    {
        // Given ln of a gradient that halves at every unit crossed back, with small alternating noise
        double[] k = [0, 1, 2, 3, 4, 5];
        double[] y = [.. k.Select((v, i) => 2 - 0.5 * v + (i % 2 == 0 ? 0.01 : -0.01))];

        // When the slope is fitted
        var (slope, se) = GradientFlow.FitSlope(k, y);

        // Then it is the line's, with a small but non-zero standard error
        Assert.Equal(-0.5, slope, 0.01);
        Assert.InRange(se, 1e-4, 0.01);
    }

    [Fact]
    public void Should_Find_Lambda_Half_Vanishing_And_Lambda_One_And_A_Half_Exploding_On_A_Deep_Net()
    {
        // Given 20-layer nets (9 units) with shortcut × 0.5, 1 and 1.5, at the paper's init and with residual branches at zero
        manual_seed(2);
        using var scope = NewDisposeScope();
        var images = randn(16, 3, 32, 32);
        var labels = randint(0, 10, [16]);
        var options = new GradientFlowOptions { Depths = [20], Plain = false, Images = 16 };

        // When the gradient flow is measured
        var curves = GradientFlow.Run(options, images, labels);
        double Slope(double lambda, bool zero) => curves.Single(c => c.Lambda == lambda && c.ZeroInitResidual == zero).Fit.Slope;

        // Then with the shortcut path alone the slope per unit is ln λ: negative (vanishing) for 0.5, 0 for 1, positive for 1.5;
        // at the paper's init λ = 1.5 still explodes at nearly ln 1.5 per unit, and its slope is above λ = 0.5's
        Assert.Equal(6, curves.Count);
        Assert.True(Slope(0.5, zero: true) < 0);
        Assert.Equal(Math.Log(0.5), Slope(0.5, zero: true), 1e-3);
        Assert.Equal(0, Slope(1, zero: true), 1e-3);
        Assert.Equal(Math.Log(1.5), Slope(1.5, zero: true), 1e-3);
        Assert.InRange(Slope(1.5, zero: false), 0.5 * Math.Log(1.5), 1.5 * Math.Log(1.5));
        Assert.True(Slope(0.5, zero: false) < Slope(1.5, zero: false));
    }

    [Fact]
    public void Should_Write_A_Report_With_Verdicts_And_Every_Figure()
    {
        // Given measured curves of two depths (made up: a gradient shrinking, steady and growing by λ per unit)
        static GradientFlowCurve Curve(int depth, double lambda, bool zero) =>
            new(GradientFlow.NetworkName(depth, lambda), depth, lambda, [.. Enumerable.Range(0, (depth - 2) / 2).Select(l => Math.Pow(lambda, (depth - 2) / 2 - 1 - l))], zero);
        var curves = new[] { 20, 32 }.SelectMany(d => new[] { 0.5, 1, 1.5 }.SelectMany(l => new[] { Curve(d, l, false), Curve(d, l, true) })).ToArray();
        var result = new GradientFlowResult(new GradientFlowOptions { Depths = [20, 32], Plain = false }, "test curves", curves, 1);
        var folder = Path.Combine(Path.GetTempPath(), $"gradient-flow-{Guid.NewGuid():N}");

        try
        {
            // When the report is written
            var path = GradientFlowReport.Write(folder, result, provenance: null);
            var text = File.ReadAllText(path);

            // Then it states the BN mode and residual scaling, checks the claims on the slopes, and links figures that exist
            Assert.Contains("training mode", text, StringComparison.Ordinal);
            Assert.Contains("residual × 1", text, StringComparison.Ordinal);
            Assert.Contains("λ = 0.5: the gradient vanishes on its way back (slope < 0 at every depth). — **reproduced**", text, StringComparison.Ordinal);
            Assert.Contains("λ = 1: the gradient stays stable", text, StringComparison.Ordinal);
            Assert.DoesNotContain("NOT reproduced", text, StringComparison.Ordinal);
            foreach (var figure in new[] { GradientFlowReport.CurvesFigure, GradientFlowReport.ZeroInitCurvesFigure, GradientFlowReport.SlopesFigure })
            {
                Assert.Contains($"]({figure})", text, StringComparison.Ordinal);
                Assert.True(new FileInfo(Path.Combine(folder, figure)).Length > 1000, figure);
            }
        }
        finally
        {
            if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
        }
    }
}
