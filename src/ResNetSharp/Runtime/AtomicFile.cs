using System.Diagnostics;
using System.Text;

namespace ResNetSharp.Runtime;

/// <summary>Thrown when a write fails because the disk is full; the file being written is left as it was.</summary>
public sealed class DiskFullException(string message, Exception inner) : IOException(message, inner);

/// <summary>
/// The one way the project writes a file it keeps (checkpoints, their best copy, config, metrics rewrites):
/// to a temporary file next to it (<c>.name.pid.tmp</c>), flushed to disk, then renamed over the old one, so a
/// crash or a full disk leaves either the old file or the new one, never a torn one, and no temporary file.
/// </summary>
public static class AtomicFile
{
    /// <summary>Writes <paramref name="path"/> through <paramref name="write"/> atomically.</summary>
    public static void Write(string path, Action<Stream> write)
    {
        var full = Path.GetFullPath(path);
        var folder = Path.GetDirectoryName(full)!;
        Directory.CreateDirectory(folder);
        var temp = Path.Combine(folder, $".{Path.GetFileName(full)}.{Environment.ProcessId}.tmp");
        try
        {
            using (var file = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20))
            {
                write(file);
                file.Flush(flushToDisk: true);
            }
            TestHooks.Reached("before-rename:" + Path.GetFileName(full));
            File.Move(temp, full, overwrite: true);
        }
        catch (Exception e)
        {
            TryDelete(temp);
            if (e is IOException io && IsDiskFull(io)) throw DiskFull(full, io);
            throw;
        }
    }

    /// <summary>Writes <paramref name="text"/> as UTF-8 atomically.</summary>
    public static void WriteAllText(string path, string text) => Write(path, s => s.Write(Encoding.UTF8.GetBytes(text)));

    /// <summary>Copies <paramref name="source"/> to <paramref name="destination"/> atomically (the destination is never torn).</summary>
    public static void Copy(string source, string destination) => Write(destination, s =>
    {
        using var from = File.OpenRead(source);
        from.CopyTo(s);
    });

    /// <summary>Appends <paramref name="text"/> and flushes it to disk (an append cannot be atomic; a torn last line is dropped on reading).</summary>
    public static void Append(string path, string text)
    {
        try
        {
            using var file = new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.Read);
            file.Write(Encoding.UTF8.GetBytes(text));
            file.Flush(flushToDisk: true);
        }
        catch (IOException e) when (IsDiskFull(e))
        {
            throw DiskFull(Path.GetFullPath(path), e);
        }
    }

    /// <summary>Deletes temporary files left in <paramref name="folder"/> by writes that were killed; returns their names.</summary>
    public static IReadOnlyList<string> RemoveStale(string folder)
    {
        if (!Directory.Exists(folder)) return [];
        var removed = new List<string>();
        foreach (var temp in Directory.EnumerateFiles(folder, ".*.tmp"))
        {
            // .name.<pid>.tmp of a process that no longer runs (ours are never left behind)
            var parts = Path.GetFileName(temp).Split('.');
            if (parts.Length < 4 || !int.TryParse(parts[^2], out var pid) || (pid != Environment.ProcessId && IsRunning(pid))) continue;
            if (TryDelete(temp)) removed.Add(Path.GetFileName(temp));
        }
        return removed;
    }

    /// <summary>Whether a process with this id runs now.</summary>
    internal static bool IsRunning(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }

    /// <summary>ENOSPC (28) or EDQUOT (122) on Unix, ERROR_DISK_FULL / ERROR_HANDLE_DISK_FULL on Windows.</summary>
    internal static bool IsDiskFull(IOException e) =>
        e.HResult is 28 or 122 || (e.HResult & 0xFFFF) is 0x70 or 0x27 || e.Message.Contains("No space left", StringComparison.OrdinalIgnoreCase);

    static DiskFullException DiskFull(string path, IOException e) => new(
        $"The disk holding {Path.GetDirectoryName(path)} is full: {Path.GetFileName(path)} was not written and its previous copy is intact. " +
        "Free space there, then continue (resnet train --resume <run folder>).", e);

    /// <summary>Deletes <paramref name="path"/> if it can; false when an I/O or permission error stops it.</summary>
    internal static bool TryDelete(string path)
    {
        try
        {
            File.Delete(path);
            return true;
        }
        catch (IOException)
        {
            return false;
        }
        catch (UnauthorizedAccessException)
        {
            return false;
        }
    }
}

/// <summary>
/// Crash points for tests only: a process started with <c>RESNETSHARP_TEST_KILL_AT=&lt;point&gt;</c> kills itself
/// (SIGKILL, as <c>kill -9</c>) when it reaches that point, e.g. <c>before-rename:best.ckpt</c> or <c>iteration:7</c>.
/// </summary>
static class TestHooks
{
    static readonly string? KillAt = Environment.GetEnvironmentVariable("RESNETSHARP_TEST_KILL_AT");

    public static void Reached(string point)
    {
        if (KillAt is not null && KillAt == point) Process.GetCurrentProcess().Kill();
    }
}
