using System.Reflection;
using ResNetSharp.Runtime;

namespace ResNetSharp.Pretrained;

/// <summary>A released network the catalogue knows: its name, card, and where it comes from.</summary>
/// <param name="Name">Release name, e.g. "resnet20-cifar10".</param>
/// <param name="Card">Its model card (not yet verified against the weights: loading does that).</param>
/// <param name="Source">"shipped" for weights embedded in the library, else the folder holding the release.</param>
public sealed record PretrainedEntry(string Name, ModelCard Card, string Source);

/// <summary>
/// The released networks a program can load by name: those shipped inside the library (the repository's
/// <c>pretrained/&lt;name&gt;/card.json</c> and <c>model.safetensors</c>, embedded as resources at build time, so a
/// fresh clone, a NuGet package and an installed tool all carry them), then release folders found under the
/// folders listed in <c>$RESNETSHARP_PRETRAINED</c>. A shipped network is copied once into the cache
/// (<c>pretrained/&lt;name&gt;/&lt;sha256&gt;/</c>) and verified against its card every time it is loaded.
/// </summary>
public static class PretrainedCatalog
{
    /// <summary>Folders (separated by the system's path separator) that hold more release folders.</summary>
    public const string EnvironmentVariable = "RESNETSHARP_PRETRAINED";

    const string ResourcePrefix = "ResNetSharp.Pretrained/";

    static Assembly Library => typeof(PretrainedCatalog).Assembly;

    /// <summary>Names of the networks shipped inside this build of the library, sorted.</summary>
    public static IReadOnlyList<string> Shipped { get; } =
    [
        .. Library.GetManifestResourceNames()
            .Select(r => r.Replace('\\', '/'))
            .Where(r => r.StartsWith(ResourcePrefix, StringComparison.Ordinal) && r.EndsWith("/" + PretrainedModel.CardFile, StringComparison.Ordinal))
            .Select(r => r[ResourcePrefix.Length..^(PretrainedModel.CardFile.Length + 1)])
            .Order(StringComparer.Ordinal),
    ];

    /// <summary>Every network the catalogue knows: shipped ones first, then those of <see cref="EnvironmentVariable"/>.</summary>
    public static IReadOnlyList<PretrainedEntry> List()
    {
        var entries = Shipped.Select(n => new PretrainedEntry(n, ModelCard.Parse(ReadText(Resource(n, PretrainedModel.CardFile)), $"shipped {n}/{PretrainedModel.CardFile}"), "shipped")).ToList();
        foreach (var folder in ExtraFolders())
        {
            var cardPath = Path.Combine(folder, PretrainedModel.CardFile);
            var name = Path.GetFileName(folder);
            if (entries.Any(e => e.Name == name)) continue; // the first of a name wins, as on a search path
            entries.Add(new PretrainedEntry(name, ModelCard.Parse(File.ReadAllText(cardPath), cardPath), folder));
        }
        return entries;
    }

    /// <summary>
    /// Loads a released network by name ("resnet20-cifar10") or from a release folder (one holding card.json),
    /// verifying its weights against the card's SHA-256. Unknown names fail with the known ones.
    /// </summary>
    public static PretrainedModel Load(string nameOrFolder)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(nameOrFolder);
        return File.Exists(Path.Combine(nameOrFolder, PretrainedModel.CardFile)) ? PretrainedModel.Load(nameOrFolder) : Get(nameOrFolder);
    }

    /// <summary>Loads a released network by name only (shipped, then <see cref="EnvironmentVariable"/>), verifying its weights.</summary>
    public static PretrainedModel Get(string name)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        var nameOrFolder = name;
        name = name.Trim().ToLowerInvariant();
        if (Shipped.Contains(name)) return PretrainedModel.Load(Extract(name));
        if (ExtraFolders().FirstOrDefault(f => Path.GetFileName(f) == name) is { } folder) return PretrainedModel.Load(folder);
        throw new ArgumentException(UnknownMessage(nameOrFolder));
    }

    /// <summary>The message for a name that is neither shipped nor found: what is known, and how to make one.</summary>
    internal static string UnknownMessage(string name)
    {
        var known = List().Select(e => e.Name).ToArray();
        return $"No pretrained network '{name}'. " +
               (known.Length == 0 ? "None is shipped with this build of ResNetSharp" : $"Known: {string.Join(", ", known)}") +
               $". Pass a release folder (one holding {PretrainedModel.CardFile}), list folders of releases in ${EnvironmentVariable}, " +
               "or make a release with 'resnet release <run> --name <network>-<dataset> --out <folder>'.";
    }

    /// <summary>Release folders (with a card.json) directly under the folders of <see cref="EnvironmentVariable"/>.</summary>
    static IEnumerable<string> ExtraFolders()
    {
        var roots = Environment.GetEnvironmentVariable(EnvironmentVariable)?.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) ?? [];
        foreach (var root in roots.Where(Directory.Exists))
            foreach (var folder in Directory.GetDirectories(root).Order(StringComparer.Ordinal))
                if (File.Exists(Path.Combine(folder, PretrainedModel.CardFile))) yield return folder;
    }

    /// <summary>Copies a shipped network into the cache (once per content) and returns its folder.</summary>
    static string Extract(string name)
    {
        var cardBytes = ReadBytes(Resource(name, PretrainedModel.CardFile));
        var card = ModelCard.Parse(System.Text.Encoding.UTF8.GetString(cardBytes), $"shipped {name}/{PretrainedModel.CardFile}");
        var folder = Path.Combine(CachePaths.Root, "pretrained", name, card.Weights.Sha256[..Math.Min(16, card.Weights.Sha256.Length)]);
        var weights = Path.Combine(folder, card.Weights.File);
        var cardPath = Path.Combine(folder, PretrainedModel.CardFile);
        var fresh = File.Exists(weights) && File.Exists(cardPath) && File.ReadAllBytes(cardPath).AsSpan().SequenceEqual(cardBytes) &&
                    PretrainedModel.Sha256Of(weights) == card.Weights.Sha256;
        if (!fresh)
        {
            // a cache copy that differs from what the library carries is rewritten from the library; the library's own copy is checked on load
            Directory.CreateDirectory(folder);
            WriteAtomically(weights, ReadBytes(Resource(name, card.Weights.File)));
            WriteAtomically(cardPath, cardBytes);
        }
        return folder;
    }

    static void WriteAtomically(string path, byte[] bytes)
    {
        var temp = $"{path}.{Environment.ProcessId}.tmp";
        File.WriteAllBytes(temp, bytes);
        File.Move(temp, path, overwrite: true);
    }

    static string Resource(string name, string file) =>
        Library.GetManifestResourceNames().FirstOrDefault(r => r.Replace('\\', '/') == $"{ResourcePrefix}{name}/{file}")
        ?? throw new InvalidDataException($"This build of ResNetSharp ships '{name}' without its {file}; rebuild it from a checkout whose pretrained/{name}/ holds both card.json and the weights.");

    static byte[] ReadBytes(string resource)
    {
        using var stream = Library.GetManifestResourceStream(resource)!;
        using var memory = new MemoryStream();
        stream.CopyTo(memory);
        return memory.ToArray();
    }

    static string ReadText(string resource) => System.Text.Encoding.UTF8.GetString(ReadBytes(resource));
}
