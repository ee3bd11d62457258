using ResNetSharp.Runtime;

namespace ResNetSharp.Tests.Runtime;

public sealed class CpuFeaturesTests
{
    [Theory]
    [InlineData("fpu avx avx2 fma", false, false)]
    [InlineData("fpu avx2 avx512f avx512_bf16", true, true)]
    [InlineData("fpu avx2 avx512f amx_bf16", true, true)]
    [InlineData("fpu avx2 avx512f", true, false)]
    public void Should_Tell_Native_Bf16_From_The_Cpu_Flags(string flags, bool avx512, bool nativeBf16)
    {
        // Given a cpuinfo file with two processors
        var path = Path.GetTempFileName();
        File.WriteAllText(path, $"processor\t: 0\nmodel name\t: Test CPU\nflags\t\t: {flags}\n\nprocessor\t: 1\nmodel name\t: Other\nflags\t\t: avx512_bf16\n");

        // When it is read
        var cpu = CpuFeatures.Read(path);
        File.Delete(path);

        // Then the first processor's model and flags are reported
        Assert.Equal("Test CPU", cpu.Model);
        Assert.True(cpu.Avx2);
        Assert.Equal(avx512, cpu.Avx512);
        Assert.Equal(nativeBf16, cpu.NativeBf16);
    }
}
