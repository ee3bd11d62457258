using ResNetSharp.Data;

namespace ResNetSharp.Tests.Data;

public sealed class PcaLightingTests
{
    [Fact]
    public void Should_Have_Zero_Mean_And_Sigma_Lambda_Spread_Along_Each_Eigenvector()
    {
        // Given the paper's lighting (σ = 0.1, ImageNet eigenvalues)
        var lighting = new PcaLighting();
        const int n = 40_000;
        var sums = new double[3];
        var squares = new double[3];

        // When many offsets are drawn and projected on the eigenvectors
        for (var i = 0; i < n; i++)
        {
            var random = SampleRandom.For(0, 0, i);
            var (r, g, b) = lighting.Sample(ref random);
            for (var k = 0; k < 3; k++)
            {
                var projection = (r * lighting.EigenVectors[0][k] + g * lighting.EigenVectors[1][k] + b * lighting.EigenVectors[2][k]) / 255.0;
                sums[k] += projection;
                squares[k] += projection * projection;
            }
        }

        // Then each projection has mean ≈ 0 and standard deviation ≈ σ·λₖ (eigenvectors are near-orthonormal)
        for (var k = 0; k < 3; k++)
        {
            var expected = 0.1 * lighting.EigenValues[k];
            var mean = sums[k] / n;
            var std = Math.Sqrt(squares[k] / n - mean * mean);
            Assert.InRange(mean, -0.03 * expected, 0.03 * expected);
            Assert.InRange(std, 0.96 * expected, 1.04 * expected);
        }
    }

    [Fact]
    public void Should_Give_No_Offset_With_Sigma_Zero()
    {
        var random = new SampleRandom(1);
        Assert.Equal((0f, 0f, 0f), new PcaLighting { Sigma = 0 }.Sample(ref random));
    }
}
