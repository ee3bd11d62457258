using System.Runtime.InteropServices;
using System.Security.Cryptography;
using TorchSharp;

namespace ResNetSharp.Runtime;

/// <summary>How the process sets up libtorch. Every field has a safe default.</summary>
public sealed record RuntimeOptions
{
    /// <summary>Intra-op threads for libtorch; null keeps libtorch's default (one per physical core).</summary>
    public int? Threads { get; init; }

    /// <summary>
    /// Keep freed memory inside the process (glibc <c>mallopt</c>) so that every training step does not
    /// return its buffers to the OS and fault them back in. Must run before large allocations.
    /// </summary>
    public bool TuneAllocator { get; init; } = true;

    /// <summary>Where a patched private copy of the native shim is kept; null means the user cache folder.</summary>
    public string? CacheDirectory { get; init; }
}

/// <summary>What <see cref="TorchRuntime.EnsureLoaded"/> did, for logs and diagnostics.</summary>
public sealed record RuntimeReport(string? NativeDirectory, string? ShimPath, IReadOnlyList<string> WeakenedVersions, bool AllocatorTuned, int Threads);

/// <summary>Thrown when libtorch cannot be loaded; the message lists what was tried and what to do.</summary>
public sealed class TorchRuntimeException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// Loads libtorch and TorchSharp's native shim on any glibc system, including those whose libstdc++
/// is older than the one the shim was linked against (Debian 12, Ubuntu 22.04): the shim names
/// <c>GLIBCXX_3.4.32</c> but binds no symbol of it, so a private copy with that requirement marked
/// weak loads and runs. Call once at start-up, before any other TorchSharp call.
/// </summary>
public static class TorchRuntime
{
    const string ShimFile = "libLibTorchSharp.so";
    static readonly string[] Preload = ["libc10.so", "libtorch_cpu.so", "libtorch_cuda.so", "libc10_cuda.so", "libtorch.so"];
    static readonly Lock Gate = new();
    static RuntimeReport? report;

    /// <summary>The report of the load, or null before <see cref="EnsureLoaded"/> ran.</summary>
    public static RuntimeReport? Report => report;

    /// <summary>Loads the runtime with default options if needed and returns <paramref name="name"/>; for module constructors' base calls.</summary>
    internal static string Loaded(string name)
    {
        if (report is null) EnsureLoaded();
        return name;
    }

    /// <summary>Loads the runtime once (later calls only adjust the thread count) and returns what was done.</summary>
    public static RuntimeReport EnsureLoaded(RuntimeOptions? options = null)
    {
        options ??= new RuntimeOptions();
        lock (Gate)
        {
            if (report is null)
            {
                var tuned = options.TuneAllocator && NativeAllocator.KeepFreedMemory();
                var (dir, shim, weakened) = OperatingSystem.IsLinux() ? LoadLinuxShim(options) : (null, null, []);
                try
                {
                    torch.InitializeDeviceType(DeviceType.CPU);
                }
                catch (Exception e) when (e is not TorchRuntimeException)
                {
                    throw new TorchRuntimeException(
                        $"TorchSharp could not initialise libtorch ({e.Message}). Native folder: {dir ?? "not found"}; shim: {shim ?? "not loaded"}. " +
                        "Check that the TorchSharp-cpu (or a CUDA) package is referenced and that its runtimes/<rid>/native files were copied next to the program.", e);
                }
                report = new RuntimeReport(dir, shim, weakened, tuned, 0);
            }
            if (options.Threads is { } n)
            {
                if (n < 1) throw new ArgumentOutOfRangeException(nameof(options), n, "Threads must be at least 1.");
                torch.set_num_threads(n);
            }
            report = report with { Threads = torch.get_num_threads() };
            return report;
        }
    }

    static (string? Dir, string? Shim, IReadOnlyList<string> Weakened) LoadLinuxShim(RuntimeOptions options)
    {
        var dir = FindNativeDirectory();
        if (dir is null) return (null, null, []); // a custom layout: let TorchSharp's own probing try
        foreach (var lib in Preload)
        {
            var path = Path.Combine(dir, lib);
            if (File.Exists(path)) Dl.Open(path, out _, out _);
        }
        var original = Path.Combine(dir, ShimFile);
        if (Dl.Open(original, out var firstError, out _)) return (dir, original, []);

        var bytes = File.ReadAllBytes(original);
        var stdcxx = SystemLibraries.Find("libstdc++.so.6");
        var stdcxxBytes = stdcxx is null ? [] : File.ReadAllBytes(stdcxx);
        var weakened = ElfVersionNeeds.MarkWeak(bytes, r =>
            r.File == "libstdc++.so.6" && stdcxx is not null && !ElfVersionNeeds.DefinesVersion(stdcxxBytes, r.Version));
        if (weakened.Count == 0)
            throw new TorchRuntimeException(
                $"Could not load {original}: {firstError}. No missing libstdc++ version explains it " +
                $"(system libstdc++: {stdcxx ?? "not found"}). Check that libtorch's files in {dir} are complete.");

        var copy = WritePrivateCopy(bytes, options.CacheDirectory);
        if (!Dl.Open(copy, out var patchedError, out var handle))
            throw new TorchRuntimeException(
                $"Could not load TorchSharp's native shim. The original {original} failed with: {firstError}. " +
                $"A private copy with {string.Join(", ", weakened.Select(w => w.Version))} marked weak ({copy}) failed with: {patchedError}. " +
                "Install a newer libstdc++ (GCC 13 or later, e.g. a conda or toolchain package) or run on a newer distribution.");
        ResolveShimTo(handle);
        return (dir, copy, weakened.Select(w => w.Version).ToArray());
    }

    /// <summary>Points TorchSharp's <c>[DllImport("LibTorchSharp")]</c> at the loaded private copy, whatever the probing order.</summary>
    static void ResolveShimTo(nint handle)
    {
        try
        {
            NativeLibrary.SetDllImportResolver(typeof(torch).Assembly, (name, _, _) => name == "LibTorchSharp" ? handle : 0);
        }
        catch (InvalidOperationException)
        {
            // TorchSharp set a resolver of its own; the loader then finds the copy by its soname.
        }
    }

    static string WritePrivateCopy(byte[] patched, string? cacheDirectory)
    {
        var hash = Convert.ToHexString(SHA256.HashData(patched))[..16].ToLowerInvariant();
        var folder = Path.Combine(cacheDirectory ?? CachePaths.Root, "native", hash);
        var path = Path.Combine(folder, ShimFile);
        if (File.Exists(path) && new FileInfo(path).Length == patched.Length) return path;
        Directory.CreateDirectory(folder);
        var temp = path + $".{Environment.ProcessId}.tmp";
        File.WriteAllBytes(temp, patched);
        File.Move(temp, path, overwrite: true); // atomic: concurrent processes never see a half-written copy
        return path;
    }

    static string? FindNativeDirectory()
    {
        var candidates = new List<string>();
        if (Environment.GetEnvironmentVariable("RESNETSHARP_NATIVE_DIR") is { Length: > 0 } env) candidates.Add(env);
        if (AppContext.GetData("NATIVE_DLL_SEARCH_DIRECTORIES") is string searchDirs)
            candidates.AddRange(searchDirs.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries));
        var rid = RuntimeInformation.RuntimeIdentifier.StartsWith("linux-arm64", StringComparison.Ordinal) ? "linux-arm64" : "linux-x64";
        // AppContext.BaseDirectory, not Assembly.Location: the latter is empty in single-file apps. Natives sit beside the
        // program when a runtime identifier flattens them (dotnet build -r, publish), else under runtimes/<rid>/native.
        var baseDir = AppContext.BaseDirectory;
        candidates.Add(baseDir);
        candidates.Add(Path.Combine(baseDir, "runtimes", rid, "native"));
        return candidates.FirstOrDefault(d => File.Exists(Path.Combine(d, ShimFile)) && File.Exists(Path.Combine(d, "libtorch.so")));
    }

    static class Dl
    {
        const int RtldNow = 2, RtldGlobal = 0x100;

        [DllImport("libc.so.6", EntryPoint = "dlopen")] static extern nint OpenLibc(string path, int flags);
        [DllImport("libc.so.6", EntryPoint = "dlerror")] static extern nint ErrorLibc();
        [DllImport("libdl.so.2", EntryPoint = "dlopen")] static extern nint OpenLibdl(string path, int flags);
        [DllImport("libdl.so.2", EntryPoint = "dlerror")] static extern nint ErrorLibdl();

        /// <summary>dlopen with RTLD_NOW so that a missing symbol fails here, with a message, not at first call.</summary>
        public static bool Open(string path, out string error, out nint handle)
        {
            string? message;
            try
            {
                handle = OpenLibc(path, RtldNow | RtldGlobal);
                message = handle == 0 ? Marshal.PtrToStringUTF8(ErrorLibc()) : null;
            }
            catch (EntryPointNotFoundException) // glibc before 2.34 keeps dlopen in libdl
            {
                handle = OpenLibdl(path, RtldNow | RtldGlobal);
                message = handle == 0 ? Marshal.PtrToStringUTF8(ErrorLibdl()) : null;
            }
            error = message ?? "";
            return handle != 0;
        }
    }
}
