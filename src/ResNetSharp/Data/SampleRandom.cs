namespace ResNetSharp.Data;

/// <summary>
/// A small, fast random generator (SplitMix64) whose stream depends only on its seed, so that the
/// augmentation of a sample is a function of (seed, epoch, sample index) and never of thread timing.
/// A mutable struct: pass it by <c>ref</c>.
/// </summary>
public struct SampleRandom
{
    ulong state;

    /// <summary>Starts a stream at <paramref name="seed"/>.</summary>
    public SampleRandom(ulong seed) => state = seed;

    /// <summary>The stream for sample <paramref name="index"/> of epoch <paramref name="epoch"/> of a run seeded with <paramref name="seed"/>.</summary>
    public static SampleRandom For(int seed, int epoch, long index) =>
        new(Mix(Mix(Mix((ulong)(uint)seed) ^ (ulong)(uint)epoch) ^ (ulong)index));

    /// <summary>64 random bits.</summary>
    public ulong NextUInt64()
    {
        state += 0x9E3779B97F4A7C15UL;
        return Mix(state);
    }

    /// <summary>An integer in [0, <paramref name="maxExclusive"/>).</summary>
    public int Next(int maxExclusive)
    {
        if (maxExclusive <= 0) throw new ArgumentOutOfRangeException(nameof(maxExclusive), maxExclusive, "The bound must be positive.");
        return (int)(((NextUInt64() >> 32) * (ulong)maxExclusive) >> 32);
    }

    /// <summary>An integer in [<paramref name="min"/>, <paramref name="maxInclusive"/>].</summary>
    public int NextInclusive(int min, int maxInclusive) => min + Next(maxInclusive - min + 1);

    /// <summary>A double in [0, 1).</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    /// <summary>A double in [<paramref name="min"/>, <paramref name="max"/>).</summary>
    public double NextDouble(double min, double max) => min + (max - min) * NextDouble();

    /// <summary>True with probability one half.</summary>
    public bool NextBool() => (NextUInt64() >> 63) != 0;

    /// <summary>A standard normal value (Box–Muller).</summary>
    public double NextGaussian()
    {
        var u = 1.0 - NextDouble(); // (0, 1]: log is finite
        var v = NextDouble();
        return Math.Sqrt(-2.0 * Math.Log(u)) * Math.Cos(2.0 * Math.PI * v);
    }

    static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
