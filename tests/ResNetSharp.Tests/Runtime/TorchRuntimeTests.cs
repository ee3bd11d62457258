using ResNetSharp.Runtime;
using TorchSharp;

namespace ResNetSharp.Tests.Runtime;

public sealed class TorchRuntimeTests
{
    [Fact]
    public void Should_Load_Libtorch_And_Compute()
    {
        // Given the runtime loaded the way the library does it
        var report = TorchRuntime.EnsureLoaded();

        // When a tensor operation runs in libtorch
        using var x = torch.arange(6, dtype: torch.float32).reshape(2, 3);
        var sum = x.sum().item<float>();

        // Then the result is right and the report names the shim that was loaded
        Assert.Equal(15f, sum);
        Assert.True(report.Threads >= 1);
        if (OperatingSystem.IsLinux()) Assert.NotNull(report.ShimPath);
    }

    [Fact]
    public void Should_Reject_An_Unknown_Device_With_The_Choices()
    {
        var e = Assert.Throws<ArgumentException>(() => Devices.Parse("tpu"));
        Assert.Contains("cpu, cuda", e.Message);
    }
}
