namespace ResNetSharp.Data;

/// <summary>
/// The "standard colour augmentation" of AlexNet used by the paper (section 3.4): add to every pixel
/// <c>Σᵢ αᵢ λᵢ vᵢ</c> with <c>αᵢ ~ N(0, σ²)</c> drawn once per image, where λ, v are the eigenvalues and
/// eigenvectors of the RGB covariance of the training set (pixels in [0, 1]). The same offset applies to
/// the whole image, so it is returned as one RGB offset, in pixel units (0–255).
/// </summary>
public sealed record PcaLighting
{
    /// <summary>σ of the coefficients α; the paper's value is 0.1.</summary>
    public double Sigma { get; init; } = 0.1;

    /// <summary>ImageNet eigenvalues of the RGB covariance (pixels in [0, 1]), largest first.</summary>
    public IReadOnlyList<double> EigenValues { get; init; } = [0.2175, 0.0188, 0.0045];

    /// <summary>ImageNet eigenvectors as columns: <c>EigenVectors[c][i]</c> is channel c of vector i.</summary>
    public IReadOnlyList<IReadOnlyList<double>> EigenVectors { get; init; } =
    [
        [-0.5675, 0.7192, 0.4009],
        [-0.5808, -0.0045, -0.8140],
        [-0.5836, -0.6948, 0.4203],
    ];

    /// <summary>Draws α and returns the RGB offset in pixel units (0–255).</summary>
    public (float R, float G, float B) Sample(ref SampleRandom random)
    {
        Span<double> a = stackalloc double[3];
        for (var i = 0; i < 3; i++) a[i] = random.NextGaussian() * Sigma * EigenValues[i];
        Span<float> rgb = stackalloc float[3];
        for (var c = 0; c < 3; c++)
            rgb[c] = (float)(255.0 * (EigenVectors[c][0] * a[0] + EigenVectors[c][1] * a[1] + EigenVectors[c][2] * a[2]));
        return (rgb[0], rgb[1], rgb[2]);
    }

    /// <summary>Adds a fresh sample to <paramref name="offset"/> (3 floats).</summary>
    public void AddTo(ref SampleRandom random, Span<float> offset)
    {
        var (r, g, b) = Sample(ref random);
        offset[0] += r;
        offset[1] += g;
        offset[2] += b;
    }
}
