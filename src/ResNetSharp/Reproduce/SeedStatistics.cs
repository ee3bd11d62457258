namespace ResNetSharp.Reproduce;

/// <summary>
/// A figure over seeds as the paper reports it: "6.43 best of 5 (6.61 ± 0.16)" — the best run, then the mean and
/// the sample standard deviation (n − 1).
/// </summary>
public sealed record SeedStatistics(IReadOnlyList<double> Values)
{
    /// <summary>The smallest value (errors: lower is better).</summary>
    public double Best => Values.Min();

    /// <summary>The mean over seeds.</summary>
    public double Mean => Values.Average();

    /// <summary>The sample standard deviation; 0 for a single seed.</summary>
    public double Std => Values.Count < 2 ? 0 : Math.Sqrt(Values.Sum(v => (v - Mean) * (v - Mean)) / (Values.Count - 1));

    /// <summary>Formats values times <paramref name="scale"/> (100 turns fractions into %): one seed as "8.75", several as "6.43 best of 5 (6.61 ± 0.16)".</summary>
    public string Format(double scale = 100) =>
        Values.Count == 1
            ? $"{Values[0] * scale:0.00}"
            : $"{Best * scale:0.00} best of {Values.Count} ({Mean * scale:0.00} ± {Std * scale:0.00})";
}
