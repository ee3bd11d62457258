using System.Collections.Concurrent;
using System.IO.Enumeration;

namespace ResNetSharp.Data;

/// <summary>An image that could not be decoded and was skipped.</summary>
public sealed record ImageFailure(string Path, string Reason);

/// <summary>Thrown when too many images in a row cannot be decoded; <see cref="Failures"/> lists them.</summary>
public sealed class ImageFolderException(string message, IReadOnlyList<ImageFailure> failures) : Exception(message)
{
    /// <summary>The images that failed, in order.</summary>
    public IReadOnlyList<ImageFailure> Failures { get; } = failures;
}

/// <summary>How <see cref="ImageFolder"/> treats damaged files.</summary>
public sealed record ImageFolderOptions
{
    /// <summary>This many undecodable files in a row abort the read (a wrong folder or a broken copy, not a few bad files).</summary>
    public int MaxConsecutiveFailures { get; init; } = 50;

    /// <summary>
    /// <see cref="ImageFolder.Load"/> aborts when more than this share of the listed files (and at least 3) cannot be read
    /// (default 10%): a few damaged files are skipped, a damaged copy of the data set is not trained on.
    /// </summary>
    public double MaxFailedShare { get; init; } = 0.1;

    /// <summary>Called once per skipped file, possibly from a worker thread; the library never prints.</summary>
    public Action<ImageFailure>? OnSkipped { get; init; }

    /// <summary>Threads used by <see cref="ImageFolder.Load"/>; null means one per core.</summary>
    public int? Threads { get; init; }
}

/// <summary>
/// The ImageFolder layout: <c>root/&lt;class&gt;/…/&lt;image&gt;</c>, classes sorted ordinally by folder name,
/// label = position in that order. <see cref="Open"/> only lists the files (decoding happens on demand,
/// for large images); <see cref="Load"/> decodes everything once into memory (for small images).
/// Damaged files are skipped, reported once through <see cref="ImageFolderOptions.OnSkipped"/> and
/// kept in <see cref="Failures"/>. Class folders may be symbolic links, but links to folders inside a class
/// folder are not followed (a link such as <c>cat/loop -&gt; ..</c> would list every class as "cat"), and a
/// file reached twice is listed once. File names that are not valid UTF-8 cannot be opened by .NET on Linux:
/// they are reported as skipped, not listed.
/// </summary>
public sealed class ImageFolder : IImageDataset
{
    readonly string[] files;
    readonly int[] labels;
    readonly int[] classStart; // first file index of each class, plus Count at the end
    readonly ImageFolderOptions options;
    readonly ConcurrentDictionary<string, ImageFailure> failures = new(StringComparer.Ordinal);

    ImageFolder(string root, string[] classNames, string[] files, int[] labels, int[] classStart, ImageFolderOptions options)
    {
        Root = root;
        ClassNames = classNames;
        this.files = files;
        this.labels = labels;
        this.classStart = classStart;
        this.options = options;
    }

    /// <summary>The folder that holds one sub-folder per class.</summary>
    public string Root { get; }

    /// <inheritdoc />
    public IReadOnlyList<string> ClassNames { get; }

    /// <summary>The image files, grouped by class, each group in ordinal path order.</summary>
    public IReadOnlyList<string> Files => files;

    /// <inheritdoc />
    public int Count => files.Length;

    /// <summary>Files skipped so far, in path order.</summary>
    public IReadOnlyList<ImageFailure> Failures => [.. failures.Values.OrderBy(f => f.Path, StringComparer.Ordinal)];

    /// <inheritdoc />
    public int Label(int index) => labels[index];

    /// <summary>Lists the images under <paramref name="root"/>; fails naming the folder if a class folder, or the whole root, has no images.</summary>
    public static ImageFolder Open(string root, ImageFolderOptions? options = null)
    {
        options ??= new ImageFolderOptions();
        if (options.MaxConsecutiveFailures < 1)
            throw new ArgumentOutOfRangeException(nameof(options), options.MaxConsecutiveFailures, "MaxConsecutiveFailures must be at least 1.");
        var accepted = string.Join(", ", ImageDecoder.Extensions);
        if (!Directory.Exists(root))
            throw new DirectoryNotFoundException($"Image folder {root} does not exist. Pass the folder that holds one sub-folder of images per class.");
        var classDirs = Directory.GetDirectories(root)
            .Where(d => !Path.GetFileName(d).StartsWith('.'))
            .OrderBy(d => Path.GetFileName(d), StringComparer.Ordinal)
            .ToArray();
        if (classDirs.Length == 0)
            throw new InvalidDataException($"{root} has no class folders. Expected {root}/<class>/<image> with images ending in {accepted}.");
        var fileList = new List<string>();
        var labelList = new List<int>();
        var starts = new List<int>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var badNames = new List<ImageFailure>();
        for (var c = 0; c < classDirs.Length; c++)
        {
            var images = new List<string>();
            foreach (var file in ListFiles(classDirs[c]).Where(ImageDecoder.IsImageFile).Order(StringComparer.Ordinal))
            {
                if (file.Contains('\uFFFD'))
                {
                    badNames.Add(new ImageFailure(file, $"{file}: the file name is not valid UTF-8, so it cannot be opened; rename it."));
                    continue;
                }
                if (seen.Add(RealPath(file))) images.Add(file);
            }
            if (images.Count == 0)
                throw new InvalidDataException($"Class folder {classDirs[c]} has no images (accepted extensions: {accepted}). Add images or remove the folder.");
            starts.Add(fileList.Count);
            fileList.AddRange(images);
            labelList.AddRange(Enumerable.Repeat(c, images.Count));
        }
        starts.Add(fileList.Count);
        var folder = new ImageFolder(root, [.. classDirs.Select(Path.GetFileName).Cast<string>()], [.. fileList], [.. labelList], [.. starts], options);
        foreach (var bad in badNames) folder.Report(bad.Path, bad.Reason);
        return folder;
    }

    /// <summary>Files under <paramref name="folder"/>, recursing into real sub-folders only (links to folders are not followed).</summary>
    static IEnumerable<string> ListFiles(string folder) =>
        new FileSystemEnumerable<string>(folder, (ref FileSystemEntry e) => e.ToFullPath(), new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0 })
        {
            ShouldIncludePredicate = (ref FileSystemEntry e) => !e.IsDirectory,
            ShouldRecursePredicate = (ref FileSystemEntry e) => (e.Attributes & FileAttributes.ReparsePoint) == 0,
        };

    /// <summary>The file a path ends at after following links, so one image reached by two paths is listed once.</summary>
    static string RealPath(string file)
    {
        try
        {
            return new FileInfo(file).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? Path.GetFullPath(file);
        }
        catch (IOException)
        {
            return Path.GetFullPath(file);
        }
    }

    /// <summary>Lists and decodes every image under <paramref name="root"/> into memory, skipping damaged files.</summary>
    public static InMemoryDataset LoadInMemory(string root, ImageFolderOptions? options = null) => Open(root, options).Load();

    /// <summary>
    /// Decodes every image once, in parallel, into an in-memory data set; damaged files are left out
    /// (so indices may shift) and reported. Throws <see cref="ImageFolderException"/> after
    /// <see cref="ImageFolderOptions.MaxConsecutiveFailures"/> failures in a row.
    /// </summary>
    public InMemoryDataset Load()
    {
        var images = new List<RgbImage>(Count);
        var keptLabels = new List<int>(Count);
        var inARow = new List<ImageFailure>();
        const int chunk = 1024; // decode a chunk in parallel, then judge it in file order (deterministic)
        var decoded = new RgbImage?[chunk];
        var errors = new string?[chunk];
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = options.Threads ?? Environment.ProcessorCount };
        for (var begin = 0; begin < Count; begin += chunk)
        {
            var n = Math.Min(chunk, Count - begin);
            Parallel.For(0, n, parallel, k =>
            {
                try
                {
                    decoded[k] = ImageDecoder.DecodeFile(files[begin + k]);
                    errors[k] = null;
                }
                catch (Exception e) when (e is InvalidDataException or IOException or UnauthorizedAccessException)
                {
                    decoded[k] = null;
                    errors[k] = e.Message;
                }
            });
            for (var k = 0; k < n; k++)
            {
                if (decoded[k] is { } image)
                {
                    images.Add(image);
                    keptLabels.Add(labels[begin + k]);
                    inARow.Clear();
                    continue;
                }
                var failure = Report(files[begin + k], errors[k]!);
                inARow.Add(failure);
                if (inARow.Count >= options.MaxConsecutiveFailures) throw TooMany(inARow);
            }
        }
        if (images.Count == 0) throw new ImageFolderException($"No image under {Root} could be decoded.", Failures);
        var failed = Failures;
        if (failed.Count >= 3 && failed.Count > options.MaxFailedShare * (Count + failed.Count(f => f.Reason.Contains("not valid UTF-8", StringComparison.Ordinal))))
            throw new ImageFolderException(
                $"{failed.Count} of {Count} images under {Root} could not be read, more than the {options.MaxFailedShare:P0} allowed; the copy of the data set is probably damaged. " +
                $"First ones: {string.Join("; ", failed.Take(5).Select(f => f.Reason))}", failed);
        return new InMemoryDataset(images, keptLabels, ClassNames);
    }

    /// <summary>
    /// Decodes sample <paramref name="index"/>. A damaged file is reported once and replaced by the next
    /// readable file of the same class (so the label stays right and batches stay deterministic).
    /// </summary>
    public RgbImage Image(int index)
    {
        var label = labels[index];
        int first = classStart[label], size = classStart[label + 1] - first;
        List<ImageFailure>? inARow = null;
        for (var attempt = 0; attempt < size; attempt++)
        {
            var path = files[first + (index - first + attempt) % size];
            if (failures.TryGetValue(path, out var known))
            {
                (inARow ??= []).Add(known);
            }
            else
            {
                try
                {
                    return ImageDecoder.DecodeFile(path);
                }
                catch (Exception e) when (e is InvalidDataException or IOException or UnauthorizedAccessException)
                {
                    (inARow ??= []).Add(Report(path, e.Message));
                }
            }
            if (inARow.Count >= options.MaxConsecutiveFailures) throw TooMany(inARow);
        }
        throw TooMany(inARow ?? []);
    }

    ImageFailure Report(string path, string reason)
    {
        var failure = new ImageFailure(path, reason);
        if (failures.TryAdd(path, failure)) options.OnSkipped?.Invoke(failure);
        return failures[path];
    }

    ImageFolderException TooMany(List<ImageFailure> inARow) => new(
        $"{inARow.Count} images in a row under {Root} could not be decoded (limit {options.MaxConsecutiveFailures}); the folder is probably " +
        $"not an image data set or its copy is damaged. First ones: {string.Join("; ", inARow.Take(5).Select(f => f.Reason))}",
        [.. inARow]);
}
