using System.Diagnostics;

namespace ResNetSharp.Tests.Distributed;

/// <summary>
/// Two "hosts" on one machine: two Linux network namespaces joined by a veth pair, each with its own loopback and one
/// address on the link (10.213.7.1 and 10.213.7.2/24, which exist only inside those namespaces). mpirun runs in the
/// first and starts the second host's daemon through an "ssh" that enters the second namespace, so the ranks talk over
/// TCP across the link exactly as two machines would, and nothing reaches the machine's own network. Dispose removes
/// both namespaces (and with them the link).
/// </summary>
sealed class NetworkNamespaces : IDisposable
{
    public const string Subnet = "10.213.7.0/24";
    public const string AddressA = "10.213.7.1", AddressB = "10.213.7.2";

    readonly string id = Guid.NewGuid().ToString("n")[..6];

    public string A => $"rs{id}a";

    public string B => $"rs{id}b";

    /// <summary>The folder of the hostfile, the launch agent and its log.</summary>
    public string Folder { get; } = Path.Combine(Path.GetTempPath(), "resnetsharp-tests", "netns-" + Guid.NewGuid().ToString("n"));

    public string HostFile => Path.Combine(Folder, "hosts");

    public string Agent => Path.Combine(Folder, "netns-agent.sh");

    /// <summary>One line per daemon the agent started: the host and the namespace it entered.</summary>
    public string AgentLog => Path.Combine(Folder, "agent.log");

    /// <summary>Why two namespaces cannot be made here (not root, no iproute2, no CAP_SYS_ADMIN), or null.</summary>
    public static string? Unavailable { get; } = Probe();

    public NetworkNamespaces()
    {
        Directory.CreateDirectory(Folder);
        try
        {
            Ip("netns", "add", A);
            Ip("netns", "add", B);
            Ip("link", "add", $"{A}0", "type", "veth", "peer", "name", $"{B}0");
            Ip("link", "set", $"{A}0", "netns", A);
            Ip("link", "set", $"{B}0", "netns", B);
            foreach (var (ns, address) in new[] { (A, AddressA), (B, AddressB) })
            {
                Ip("-n", ns, "addr", "add", $"{address}/24", "dev", $"{ns}0");
                Ip("-n", ns, "link", "set", $"{ns}0", "up");
                Ip("-n", ns, "link", "set", "lo", "up");
            }
        }
        catch
        {
            Dispose();
            throw;
        }
        File.WriteAllText(HostFile, $"{AddressA} slots=1\n{AddressB} slots=1\n");
        File.WriteAllText(Agent, $"""
            #!/bin/sh
            # mpirun's ssh: run the remote command line inside the namespace that stands for the host
            host="$1"; shift
            case "$host" in {AddressA}) ns={A};; {AddressB}) ns={B};; *) echo "unknown host $host" >&2; exit 1;; esac
            echo "$host $ns" >> '{AgentLog}'
            exec ip netns exec "$ns" sh -c "$*"

            """);
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(Agent, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
    }

    /// <summary>mpirun's arguments for one rank per host, from the first namespace, TCP over the link only.</summary>
    public string[] MpirunArguments(params string[] command) =>
        ["netns", "exec", A, "mpirun", "--allow-run-as-root", "--hostfile", HostFile, "--mca", "plm_rsh_agent", Agent,
         "--mca", "btl", "self,tcp", "--mca", "btl_tcp_if_include", Subnet, "--mca", "oob_tcp_if_include", Subnet, "-np", "2", .. command];

    public void Dispose()
    {
        foreach (var ns in new[] { A, B }) TryIp("netns", "del", ns);
        try
        {
            Directory.Delete(Folder, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    static string? Probe()
    {
        if (!OperatingSystem.IsLinux()) return "network namespaces are Linux only";
        if (Mpirun.Missing is { } mpi) return mpi;
        var name = "rsprobe" + Guid.NewGuid().ToString("n")[..6];
        try
        {
            var (code, error) = Run("netns", "add", name);
            if (code != 0) return $"cannot create a network namespace here (needs root, iproute2 and CAP_SYS_ADMIN): {error.Trim()}";
            TryIp("netns", "del", name);
            return null;
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            return $"iproute2's ip is not installed (apt-get install iproute2): {e.Message}";
        }
    }

    static void Ip(params string[] args)
    {
        var (code, error) = Run(args);
        if (code != 0) throw new InvalidOperationException($"ip {string.Join(' ', args)}: {error.Trim()}");
    }

    static void TryIp(params string[] args)
    {
        try
        {
            Run(args);
        }
        catch (System.ComponentModel.Win32Exception)
        {
        }
    }

    static (int Code, string Error) Run(params string[] args)
    {
        var start = new ProcessStartInfo("ip") { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var a in args) start.ArgumentList.Add(a);
        using var process = Process.Start(start)!;
        var error = process.StandardError.ReadToEnd();
        process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, error);
    }
}

/// <summary>A [Fact] that is skipped, saying why, where two network namespaces cannot be made (or mpirun is missing).</summary>
public sealed class TwoHostFactAttribute : FactAttribute
{
    public TwoHostFactAttribute()
    {
        if (NetworkNamespaces.Unavailable is { } reason) Skip = reason;
    }
}
