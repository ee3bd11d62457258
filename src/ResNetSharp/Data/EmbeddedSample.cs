using ResNetSharp.Runtime;

namespace ResNetSharp.Data;

/// <summary>
/// A small real sample of CIFAR-10 shipped inside the library (600 training and 200 test JPEGs per class,
/// taken in file order from the JPEG release of the official split) so that a fresh offline machine can
/// still train and evaluate something real. Not a substitute for the full data set.
/// </summary>
public static class EmbeddedSample
{
    const string Resource = "ResNetSharp.Resources.cifar10-sample.tar.gz";

    /// <summary>Unpacks the sample once into the cache and returns its ImageFolder root (with train/ and test/).</summary>
    public static string Unpack()
    {
        var archive = Path.Combine(CachePaths.Root, "embedded", "cifar10-sample.tar.gz");
        using var stream = typeof(EmbeddedSample).Assembly.GetManifestResourceStream(Resource)
                           ?? throw new InvalidOperationException($"The embedded resource {Resource} is missing from this build of ResNetSharp.");
        if (!File.Exists(archive) || new FileInfo(archive).Length != stream.Length)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(archive)!);
            var temp = archive + $".{Environment.ProcessId}.tmp";
            using (var file = File.Create(temp)) stream.CopyTo(file);
            File.Move(temp, archive, overwrite: true);
        }
        return ArchiveCache.Unpack(archive);
    }
}
