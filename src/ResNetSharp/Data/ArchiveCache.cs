using System.Formats.Tar;
using System.IO.Compression;
using ResNetSharp.Runtime;

namespace ResNetSharp.Data;

/// <summary>
/// Unpacks a <c>.tar.gz</c> (or <c>.tar</c>) data set once into the cache folder and reuses it: a marker
/// file written last records which archive (size, time) the folder came from, so an interrupted unpack
/// is redone and a finished one is never repeated. Never unpacks into the repository.
/// </summary>
public static class ArchiveCache
{
    const string Marker = ".unpacked";

    /// <summary>The default folder for unpacked data sets: <c>&lt;cache&gt;/datasets</c>.</summary>
    public static string DefaultFolder => Path.Combine(CachePaths.Root, "datasets");

    /// <summary>
    /// Returns the folder holding the contents of <paramref name="archive"/>, unpacking it first if needed,
    /// under <paramref name="cacheFolder"/> (default <see cref="DefaultFolder"/>) in a folder named after the archive.
    /// </summary>
    public static string Unpack(string archive, string? cacheFolder = null)
    {
        if (!File.Exists(archive))
            throw new FileNotFoundException($"Archive {archive} does not exist. Pass the path of the .tar.gz data set file.", archive);
        var info = new FileInfo(archive);
        var target = Path.Combine(cacheFolder ?? DefaultFolder, Stem(info.Name));
        var stamp = $"{info.Length} {info.LastWriteTimeUtc.Ticks}";
        if (IsComplete(target, stamp)) return target;

        var partial = $"{target}.partial-{Environment.ProcessId}";
        if (Directory.Exists(partial)) Directory.Delete(partial, recursive: true);
        Directory.CreateDirectory(partial);
        try
        {
            using (var file = File.OpenRead(archive))
            {
                var gz = info.Name.EndsWith(".gz", StringComparison.OrdinalIgnoreCase) || info.Name.EndsWith(".tgz", StringComparison.OrdinalIgnoreCase);
                using var stream = gz ? new GZipStream(file, CompressionMode.Decompress) : (Stream)file;
                TarFile.ExtractToDirectory(stream, partial, overwriteFiles: true); // refuses entries that leave the folder
            }
            File.WriteAllText(Path.Combine(partial, Marker), stamp);
            if (IsComplete(target, stamp)) // another process finished first
            {
                Directory.Delete(partial, recursive: true);
                return target;
            }
            if (Directory.Exists(target)) Directory.Delete(target, recursive: true);
            Directory.Move(partial, target);
            return target;
        }
        catch (Exception e) when (e is InvalidDataException or EndOfStreamException or FormatException)
        {
            Directory.Delete(partial, recursive: true);
            throw new InvalidDataException($"{archive} is not a readable .tar.gz archive ({e.Message}). Check the file or download it again.", e);
        }
        catch
        {
            if (Directory.Exists(partial)) Directory.Delete(partial, recursive: true);
            throw;
        }
    }

    static bool IsComplete(string folder, string stamp)
    {
        var marker = Path.Combine(folder, Marker);
        return File.Exists(marker) && File.ReadAllText(marker) == stamp;
    }

    static string Stem(string name)
    {
        foreach (var ext in new[] { ".tar.gz", ".tgz", ".tar" })
            if (name.EndsWith(ext, StringComparison.OrdinalIgnoreCase)) return name[..^ext.Length];
        return Path.GetFileNameWithoutExtension(name);
    }
}
