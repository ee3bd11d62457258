using System.Globalization;
using System.Text;

namespace ResNetSharp.Reproduce;

/// <summary>What checking a claim of the paper on our numbers concluded.</summary>
public enum Verdict
{
    /// <summary>The difference has the paper's sign and is larger than the noise.</summary>
    Reproduced,

    /// <summary>The difference has the opposite sign and is larger than the noise.</summary>
    NotReproduced,

    /// <summary>The difference is within the noise, or a run it rests on never left chance: the data cannot decide.</summary>
    Inconclusive,

    /// <summary>A run the claim needs did not finish.</summary>
    NotChecked,
}

/// <summary>
/// A measured number with its standard error: an error rate over <see cref="Images"/> images (binomial) and, with
/// several seeds, the mean over them.
/// </summary>
public sealed record Estimate(double Value, double StandardError, int Images, int Seeds)
{
    /// <summary>
    /// The mean of per-seed error rates each measured on <paramref name="images"/> images. Its standard error is the
    /// larger of the binomial one (√(p(1−p)/n) per seed, averaged over seeds) and, with several seeds, the spread
    /// across them (sample std / √seeds).
    /// </summary>
    /// <exception cref="ArgumentException">No value, or fewer than one image.</exception>
    public static Estimate OfErrors(IReadOnlyList<double> errors, int images)
    {
        if (errors.Count == 0) throw new ArgumentException("Give at least one error rate.", nameof(errors));
        if (images < 1) throw new ArgumentException($"An error rate is measured on at least one image (got {images}).", nameof(images));
        var k = errors.Count;
        var mean = errors.Average();
        var binomial = Math.Sqrt(errors.Sum(p => Math.Clamp(p, 0, 1) * (1 - Math.Clamp(p, 0, 1)) / images)) / k;
        var seeds = k < 2 ? 0 : Math.Sqrt(errors.Sum(e => (e - mean) * (e - mean)) / (k - 1)) / Math.Sqrt(k);
        return new Estimate(mean, Math.Max(binomial, seeds), images, k);
    }

    /// <summary>
    /// The error is not clearly below <paramref name="chance"/> (the error of guessing, 1 − 1/classes): within two standard
    /// errors of it, or above. Such a run has learned nothing that a comparison could rest on.
    /// </summary>
    public bool AtChance(double chance) => Value >= chance - 2 * StandardError;
}

/// <summary>The outcome of one claim: the verdict and why, with the numbers it rests on.</summary>
public sealed record ClaimCheck(Verdict Verdict, string Reason);

/// <summary>
/// The rule every claim is checked with. A difference counts only when it exceeds <see cref="NoiseMultiple"/> combined
/// standard errors (√(SE_a² + SE_b²)); otherwise, or when a run never left chance, the verdict is
/// <see cref="Verdict.Inconclusive"/>.
/// </summary>
public static class Verdicts
{
    /// <summary>A difference must be at least this many combined standard errors to decide a claim (about 95% two-sided).</summary>
    public const double NoiseMultiple = 2.0;

    /// <summary>One claim as a line of a report: "- claim — **verdict**: evidence; reason." (the same in every report).</summary>
    public static void AppendClaim(StringBuilder md, string claim, ClaimCheck check, string evidence, string notChecked = "not checked")
    {
        ArgumentNullException.ThrowIfNull(md);
        ArgumentNullException.ThrowIfNull(check);
        var verdict = check.Verdict switch
        {
            Verdict.Reproduced => "**reproduced**",
            Verdict.NotReproduced => "**NOT reproduced**",
            Verdict.Inconclusive => "**inconclusive**",
            _ => notChecked,
        };
        md.AppendLine(CultureInfo.InvariantCulture, $"- {claim} — {verdict}: {evidence}; {check.Reason}.");
    }

    /// <summary>
    /// Checks "<paramref name="a"/> is higher than <paramref name="b"/>" (or lower, when <paramref name="aHigher"/> is
    /// false). Errors at or near <paramref name="chance"/> make the check inconclusive; null chance skips that test
    /// (for numbers that are not error rates).
    /// </summary>
    public static ClaimCheck Compare(string nameA, Estimate? a, string nameB, Estimate? b, bool aHigher, double? chance)
    {
        if (a is null || b is null)
            return new ClaimCheck(Verdict.NotChecked, $"{(a is null ? nameA : nameB)} has no finished run");
        if (chance is { } c)
        {
            var stuck = new[] { (nameA, a), (nameB, b) }.Where(x => x.Item2.AtChance(c)).Select(x => x.Item1).ToArray();
            if (stuck.Length > 0)
                return new ClaimCheck(Verdict.Inconclusive, $"{string.Join(" and ", stuck)} never left chance ({c * 100:0.#}% error)");
        }
        var difference = a.Value - b.Value;
        var combined = Math.Sqrt(a.StandardError * a.StandardError + b.StandardError * b.StandardError);
        var z = combined > 0 ? Math.Abs(difference) / combined : double.PositiveInfinity;
        if (z < NoiseMultiple)
            return new ClaimCheck(Verdict.Inconclusive, $"the difference is {z:0.0} combined standard errors, within noise (< {NoiseMultiple:0})");
        var holds = aHigher ? difference > 0 : difference < 0;
        return new ClaimCheck(holds ? Verdict.Reproduced : Verdict.NotReproduced, $"the difference is {z:0.0} combined standard errors");
    }

    /// <summary>
    /// Checks "<paramref name="name"/> fails to converge" (the paper's words for the dropout shortcut) on its final
    /// training error: reproduced when that error never left <paramref name="chance"/>, not reproduced when it is clearly
    /// below it. A comparison with a run at chance is inconclusive by <see cref="Compare"/>'s rule, so a claim that a run
    /// does not train at all needs this check of its own.
    /// </summary>
    public static ClaimCheck FailsToConverge(string name, Estimate? train, double? chance)
    {
        if (train is null) return new ClaimCheck(Verdict.NotChecked, $"{name} has no finished run");
        if (chance is not { } c) return new ClaimCheck(Verdict.Inconclusive, "the number of classes, and so chance, is not known");
        var at = string.Create(CultureInfo.InvariantCulture, $"{c * 100:0.#}% error");
        return train.AtChance(c)
            ? new ClaimCheck(Verdict.Reproduced, $"{name}'s training error never left chance ({at})")
            : new ClaimCheck(Verdict.NotReproduced, string.Create(CultureInfo.InvariantCulture,
                $"{name}'s training error is {(c - train.Value) / train.StandardError:0.0} standard errors below chance ({at}): it trained"));
    }

    /// <summary>
    /// Checks a chain "each is lower than the one before" pair by pair: not reproduced when any pair clearly goes the
    /// wrong way, inconclusive when none does but some pair cannot decide, reproduced when every pair holds clearly.
    /// </summary>
    public static ClaimCheck Falling(IReadOnlyList<(string Name, Estimate? Value)> chain, double? chance)
    {
        var pairs = Enumerable.Range(1, chain.Count - 1)
            .Select(i => (Pair: $"{chain[i].Name} < {chain[i - 1].Name}", Check: Compare(chain[i].Name, chain[i].Value, chain[i - 1].Name, chain[i - 1].Value, aHigher: false, chance)))
            .ToArray();
        string List(Verdict v) => string.Join("; ", pairs.Where(p => p.Check.Verdict == v).Select(p => $"{p.Pair}: {p.Check.Reason}"));
        if (pairs.Any(p => p.Check.Verdict == Verdict.NotChecked)) return new ClaimCheck(Verdict.NotChecked, List(Verdict.NotChecked));
        if (pairs.Any(p => p.Check.Verdict == Verdict.NotReproduced)) return new ClaimCheck(Verdict.NotReproduced, List(Verdict.NotReproduced));
        if (pairs.Any(p => p.Check.Verdict == Verdict.Inconclusive)) return new ClaimCheck(Verdict.Inconclusive, List(Verdict.Inconclusive));
        return new ClaimCheck(Verdict.Reproduced, "every step is larger than the noise");
    }
}
