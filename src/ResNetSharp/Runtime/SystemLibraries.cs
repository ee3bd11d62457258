namespace ResNetSharp.Runtime;

/// <summary>Finds the system copy of a shared library the way the dynamic loader would, without running ldconfig.</summary>
static class SystemLibraries
{
    static readonly string[] Folders =
    [
        "/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu", "/lib/aarch64-linux-gnu", "/usr/lib/aarch64-linux-gnu",
        "/lib64", "/usr/lib64", "/lib", "/usr/lib",
    ];

    public static string? Find(string soname)
    {
        // The copy already mapped into this process is the one the shim will bind to.
        try
        {
            foreach (var line in File.ReadLines("/proc/self/maps"))
            {
                var at = line.IndexOf('/');
                if (at >= 0 && line.EndsWith("/" + soname, StringComparison.Ordinal)) return line[at..];
            }
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
        var paths = (Environment.GetEnvironmentVariable("LD_LIBRARY_PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries).Concat(Folders);
        return paths.Select(d => Path.Combine(d, soname)).FirstOrDefault(File.Exists);
    }
}
