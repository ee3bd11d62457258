namespace ResNetSharp.Runtime;

/// <summary>
/// The vector extensions the CPU reports (Linux <c>/proc/cpuinfo</c>). bf16 compute is fast only with native
/// bf16 instructions (AVX-512 BF16 or AMX); without them libtorch emulates it at a small fraction of fp32 speed.
/// </summary>
public sealed record CpuFeatures(string Model, bool Avx2, bool Avx512, bool Avx512Bf16, bool AmxBf16)
{
    /// <summary>Whether bf16 convolutions and matrix products can beat fp32 on this CPU.</summary>
    public bool NativeBf16 => Avx512Bf16 || AmxBf16;

    /// <summary>The features of this machine's first CPU; all false where /proc/cpuinfo is not readable.</summary>
    public static CpuFeatures Current { get; } = Read("/proc/cpuinfo");

    internal static CpuFeatures Read(string path)
    {
        if (!File.Exists(path)) return new("unknown", false, false, false, false);
        string model = "unknown";
        var flags = new HashSet<string>();
        foreach (var line in File.ReadLines(path))
        {
            var colon = line.IndexOf(':');
            if (colon < 0) continue;
            var key = line[..colon].Trim();
            if (key == "model name" && model == "unknown") model = line[(colon + 1)..].Trim();
            if (key == "flags" && flags.Count == 0) flags.UnionWith(line[(colon + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries));
            if (flags.Count > 0 && model != "unknown") break;
        }
        return new(model, flags.Contains("avx2"), flags.Contains("avx512f"), flags.Contains("avx512_bf16"), flags.Contains("amx_bf16"));
    }

    /// <inheritdoc />
    public override string ToString() =>
        $"{Model} ({(Avx512 ? "AVX-512" : Avx2 ? "AVX2" : "no AVX2")}, " +
        $"{(AmxBf16 ? "native bf16: amx_bf16" + (Avx512Bf16 ? " avx512_bf16" : "") : Avx512Bf16 ? "native bf16: avx512_bf16" : "no native bf16: emulated")})";
}
