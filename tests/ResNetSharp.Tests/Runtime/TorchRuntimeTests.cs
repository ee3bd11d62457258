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
        if (OperatingSystem.IsLinux()) Assert.NotNull(report.ShimPath);
    }

    [Fact]
    public void Should_Set_The_Thread_Count_And_Report_What_Libtorch_Uses()
    {
        // Given the runtime loaded, and a thread count other than the current one
        var before = TorchRuntime.EnsureLoaded().Threads;
        var wanted = before == 1 ? 2 : 1;
        try
        {
            // When it is asked for that count
            var report = TorchRuntime.EnsureLoaded(new RuntimeOptions { Threads = wanted });

            // Then libtorch uses it and the report says so
            Assert.Equal(wanted, torch.get_num_threads());
            Assert.Equal(wanted, report.Threads);
            Assert.Equal(wanted, TorchRuntime.Report!.Threads);
        }
        finally
        {
            TorchRuntime.EnsureLoaded(new RuntimeOptions { Threads = before });
        }
    }

    [Fact]
    public void Should_Reject_A_Thread_Count_Below_One()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => TorchRuntime.EnsureLoaded(new RuntimeOptions { Threads = 0 }));
        Assert.Contains("at least 1", e.Message);
    }

    [Fact]
    public void Should_Reject_An_Unknown_Device_With_The_Choices()
    {
        var e = Assert.Throws<ArgumentException>(() => Devices.Parse("tpu"));
        Assert.Contains("cpu, cuda", e.Message);
    }
}
