namespace ResNetSharp.Runtime;

/// <summary>The user cache folder: <c>$RESNETSHARP_CACHE</c>, else <c>$XDG_CACHE_HOME/resnetsharp</c>, else <c>~/.cache/resnetsharp</c>.</summary>
public static class CachePaths
{
    public static string Root
    {
        get
        {
            if (Environment.GetEnvironmentVariable("RESNETSHARP_CACHE") is { Length: > 0 } own) return own;
            var xdg = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
            var home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
            var baseDir = !string.IsNullOrEmpty(xdg) ? xdg : !string.IsNullOrEmpty(home) ? Path.Combine(home, ".cache") : Path.GetTempPath();
            return Path.Combine(baseDir, "resnetsharp");
        }
    }
}
