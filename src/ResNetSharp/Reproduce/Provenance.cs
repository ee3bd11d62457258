using System.Diagnostics;
using System.Reflection;
using System.Runtime.InteropServices;

namespace ResNetSharp.Reproduce;

/// <summary>
/// Where a report's numbers came from: the CPU (model name from /proc/cpuinfo and logical processors), the libtorch
/// threads, and the code version with how it was found.
/// </summary>
public sealed record Provenance(string Cpu, int LogicalProcessors, int Threads, string CodeVersion, string CodeVersionSource)
{
    /// <summary>This machine and this build.</summary>
    public static Provenance Current()
    {
        var (version, source) = CodeVersionOf();
        return new Provenance(CpuModel(), Environment.ProcessorCount, TorchSharp.torch.get_num_threads(), version, source);
    }

    /// <summary>The CPU model name of /proc/cpuinfo, else the OS architecture.</summary>
    public static string CpuModel()
    {
        try
        {
            const string file = "/proc/cpuinfo";
            if (File.Exists(file)
                && File.ReadLines(file).FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal)) is { } line
                && line.IndexOf(':') is var colon and >= 0)
                return line[(colon + 1)..].Trim();
        }
        catch (IOException)
        {
            // fall through to the architecture
        }
        catch (UnauthorizedAccessException)
        {
            // fall through to the architecture
        }
        return $"unknown {RuntimeInformation.OSArchitecture} CPU ({RuntimeInformation.OSDescription})";
    }

    /// <summary>
    /// The git commit the library was built from (the SDK embeds it in the informational version, "1.0.0+&lt;commit&gt;"),
    /// else <c>git rev-parse HEAD</c> of the working folder, else "unknown"; the second value says which.
    /// </summary>
    public static (string Version, string Source) CodeVersionOf()
    {
        var informational = typeof(Provenance).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion;
        if (informational?.IndexOf('+') is { } plus and >= 0 && plus + 1 < informational.Length)
            return (informational[(plus + 1)..], "commit embedded at build time");
        try
        {
            using var git = Process.Start(new ProcessStartInfo("git", "rev-parse HEAD")
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            });
            if (git is not null)
            {
                var head = git.StandardOutput.ReadToEnd().Trim();
                git.WaitForExit(5_000);
                if (git.ExitCode == 0 && head.Length > 0) return (head, $"git rev-parse HEAD in {Environment.CurrentDirectory}");
            }
        }
        catch (System.ComponentModel.Win32Exception)
        {
            // no git on this machine
        }
        return ("unknown", "no commit embedded at build time and no git repository here");
    }
}
