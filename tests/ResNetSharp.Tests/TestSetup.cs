using System.Runtime.CompilerServices;
using ResNetSharp.Runtime;

namespace ResNetSharp.Tests;

static class TestSetup
{
    /// <summary>Loads libtorch before any test touches TorchSharp, as an application's start-up would.</summary>
    [ModuleInitializer]
    internal static void LoadRuntime() => TorchRuntime.EnsureLoaded();
}
