using System.Formats.Tar;
using System.IO.Compression;
using System.Net.Sockets;
using System.Security.Cryptography;
using ResNetSharp.Runtime;

namespace ResNetSharp.Data;

/// <summary>Which CIFAR data set.</summary>
public enum CifarKind
{
    /// <summary>10 classes; files <c>cifar-10-batches-bin/data_batch_1..5.bin</c>, <c>test_batch.bin</c>.</summary>
    Cifar10,

    /// <summary>100 fine / 20 coarse classes; files <c>cifar-100-binary/train.bin</c>, <c>test.bin</c>.</summary>
    Cifar100,
}

/// <summary>Where the official archive of a CIFAR data set comes from.</summary>
public sealed record CifarSource(string Url, string Md5)
{
    /// <summary>The official CIFAR-10 binary archive.</summary>
    public static CifarSource Cifar10 { get; } = new("https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz", "c32a1d4ab5d03f1284b67883c8d1c3b1");

    /// <summary>The official CIFAR-100 binary archive.</summary>
    public static CifarSource Cifar100 { get; } = new("https://www.cs.toronto.edu/~kriz/cifar-100-binary.tar.gz", "03b5dce01913d631647c71ecec9e9cb8");
}

/// <summary>Where to look for CIFAR files and whether to download them.</summary>
public sealed record CifarOptions
{
    /// <summary>A folder holding the binary files (or their <c>cifar-10-batches-bin</c> / <c>cifar-100-binary</c> folder); searched first.</summary>
    public string? DataDirectory { get; init; }

    /// <summary>Download the official archive when no files are found.</summary>
    public bool Download { get; init; } = true;

    /// <summary>How long to wait for the server before giving up; short, so an offline machine fails fast.</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Where archives are kept and unpacked; null means <c>&lt;cache&gt;/datasets</c>.</summary>
    public string? CacheDirectory { get; init; }

    /// <summary>Overrides the official URL and checksum (mirrors, tests).</summary>
    public CifarSource? Source { get; init; }
}

/// <summary>
/// The official CIFAR binary format: records of label byte(s) then 3072 pixel bytes, a 32x32 R plane,
/// then G, then B. CIFAR-10 records have 1 label byte; CIFAR-100 records a coarse then a fine byte.
/// Files are read whole into memory; each image is kept as its own HWC byte array.
/// </summary>
public static class CifarBinary
{
    /// <summary>Pixel bytes per record (3 planes of 32x32).</summary>
    public const int PixelBytes = 3 * 32 * 32;

    /// <summary>The CIFAR-10 classes in label order.</summary>
    public static IReadOnlyList<string> Cifar10ClassNames { get; } =
        ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"];

    static readonly string[] Cifar10Train = ["data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin", "data_batch_4.bin", "data_batch_5.bin"];

    /// <summary>
    /// Reads the training (50,000) or test (10,000) set of <paramref name="kind"/>, locating or
    /// downloading the files as <see cref="Locate"/> does. CIFAR-100 uses the fine labels unless <paramref name="coarseLabels"/>.
    /// </summary>
    public static InMemoryDataset Load(CifarKind kind, bool train, CifarOptions? options = null, bool coarseLabels = false)
    {
        var folder = Locate(kind, options);
        return kind == CifarKind.Cifar10 ? ReadCifar10(folder, train) : ReadCifar100(folder, train, coarseLabels);
    }

    /// <summary>Reads CIFAR-10 from a folder holding <c>data_batch_1..5.bin</c> and <c>test_batch.bin</c>.</summary>
    public static InMemoryDataset ReadCifar10(string folder, bool train) =>
        Read([.. (train ? Cifar10Train : ["test_batch.bin"]).Select(f => Path.Combine(folder, f))], 1, 0, Cifar10ClassNames);

    /// <summary>Reads CIFAR-100 from a folder holding <c>train.bin</c> and <c>test.bin</c>; names come from its label-name files when present.</summary>
    public static InMemoryDataset ReadCifar100(string folder, bool train, bool coarseLabels = false)
    {
        var namesFile = Path.Combine(folder, coarseLabels ? "coarse_label_names.txt" : "fine_label_names.txt");
        var count = coarseLabels ? 20 : 100;
        IReadOnlyList<string> names = File.Exists(namesFile)
            ? [.. File.ReadAllLines(namesFile).Select(l => l.Trim()).Where(l => l.Length > 0)]
            : [.. Enumerable.Range(0, count).Select(i => $"class_{i:D2}")];
        if (names.Count != count)
            throw new InvalidDataException($"{namesFile} lists {names.Count} names; CIFAR-100 has {count} {(coarseLabels ? "coarse" : "fine")} classes.");
        return Read([Path.Combine(folder, train ? "train.bin" : "test.bin")], 2, coarseLabels ? 0 : 1, names);
    }

    /// <summary>
    /// Reads binary record files with <paramref name="labelBytes"/> label bytes per record, taking the
    /// label at <paramref name="labelIndex"/>. A file whose size is not a multiple of the record size fails, naming it.
    /// </summary>
    public static InMemoryDataset Read(IReadOnlyList<string> files, int labelBytes, int labelIndex, IReadOnlyList<string> classNames)
    {
        var record = labelBytes + PixelBytes;
        var lengths = files.Select(f => File.Exists(f)
            ? new FileInfo(f).Length
            : throw new FileNotFoundException($"CIFAR file {f} is missing. Put the official binary files in that folder or pass the folder that holds them.", f)).ToArray();
        for (var i = 0; i < files.Count; i++)
            if (lengths[i] == 0 || lengths[i] % record != 0)
                throw new InvalidDataException(
                    $"{files[i]} is {lengths[i]:N0} bytes, not a multiple of the {record}-byte record ({labelBytes} label byte(s) + {PixelBytes} pixels): " +
                    "the file is truncated or of another format. Delete it and download or copy it again.");
        var total = (int)(lengths.Sum() / record);
        var images = new RgbImage[total];
        var labels = new int[total];
        var buffer = new byte[record];
        var n = 0;
        foreach (var file in files)
        {
            using var stream = File.OpenRead(file);
            while (stream.Position < stream.Length)
            {
                stream.ReadExactly(buffer);
                labels[n] = buffer[labelIndex];
                if (labels[n] >= classNames.Count)
                    throw new InvalidDataException($"{file}: record {n} has label {labels[n]} but there are {classNames.Count} classes; is this the right CIFAR variant?");
                images[n] = RgbImage.FromPlanes(buffer.AsSpan(labelBytes), 32, 32);
                n++;
            }
        }
        return new InMemoryDataset(images, labels, classNames);
    }

    /// <summary>
    /// Finds the folder holding the binary files of <paramref name="kind"/>: the data directory, then the
    /// cache; otherwise unpacks a verified archive from the cache, or downloads it (MD5-checked) when
    /// allowed. Offline, fails within the connect timeout saying where to put the files.
    /// </summary>
    public static string Locate(CifarKind kind, CifarOptions? options = null)
    {
        options ??= new CifarOptions();
        var source = options.Source ?? (kind == CifarKind.Cifar10 ? CifarSource.Cifar10 : CifarSource.Cifar100);
        var folderName = kind == CifarKind.Cifar10 ? "cifar-10-batches-bin" : "cifar-100-binary";
        string[] required = kind == CifarKind.Cifar10 ? [.. Cifar10Train, "test_batch.bin"] : ["train.bin", "test.bin"];
        var cache = options.CacheDirectory ?? Path.Combine(CachePaths.Root, "datasets");
        var candidates = new List<string>();
        if (options.DataDirectory is { } dir) candidates.AddRange([dir, Path.Combine(dir, folderName)]);
        candidates.Add(Path.Combine(cache, folderName));
        foreach (var c in candidates)
            if (required.All(f => File.Exists(Path.Combine(c, f)))) return c;

        var archive = Path.Combine(cache, Path.GetFileName(new Uri(source.Url).AbsolutePath));
        if (!(File.Exists(archive) && Md5Of(archive) == source.Md5))
        {
            if (!options.Download)
                throw new FileNotFoundException(NotFound(kind, candidates, folderName, source, "downloading is turned off"));
            try
            {
                DownloadVerified(source, archive, options.ConnectTimeout);
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException or SocketException or IOException)
            {
                throw new FileNotFoundException(NotFound(kind, candidates, folderName, source, $"the download failed: {e.Message}"), e);
            }
        }
        using (var file = File.OpenRead(archive))
        using (var gz = new GZipStream(file, CompressionMode.Decompress))
            TarFile.ExtractToDirectory(gz, cache, overwriteFiles: true);
        var extracted = Path.Combine(cache, folderName);
        var missing = required.Where(f => !File.Exists(Path.Combine(extracted, f))).ToArray();
        if (missing.Length > 0)
            throw new InvalidDataException($"{archive} unpacked but {extracted} lacks {string.Join(", ", missing)}; the archive is not the official {kind} binary release.");
        return extracted;
    }

    static string NotFound(CifarKind kind, IEnumerable<string> searched, string folderName, CifarSource source, string why) =>
        $"{kind} binary files were not found in {string.Join(", ", searched)} and {why}. Download {source.Url} (MD5 {source.Md5}) " +
        $"on a connected machine and unpack it so that {folderName}/ sits in one of those folders, or pass --data-dir <folder holding {folderName}>.";

    static void DownloadVerified(CifarSource source, string archive, TimeSpan connectTimeout)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(archive)!);
        var temp = $"{archive}.{Environment.ProcessId}.download";
        using var handler = new SocketsHttpHandler { ConnectTimeout = connectTimeout };
        using var client = new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan };
        using (var headers = new CancellationTokenSource(connectTimeout * 3))
        using (var response = client.GetAsync(source.Url, HttpCompletionOption.ResponseHeadersRead, headers.Token).GetAwaiter().GetResult())
        {
            headers.CancelAfter(Timeout.InfiniteTimeSpan); // the limit is for reaching the server, not for the 160 MB body
            response.EnsureSuccessStatusCode();
            using var body = response.Content.ReadAsStream();
            using var output = File.Create(temp);
            body.CopyTo(output);
        }
        var md5 = Md5Of(temp);
        if (md5 != source.Md5)
        {
            File.Delete(temp);
            throw new IOException($"{source.Url} downloaded with MD5 {md5}, expected {source.Md5}; the download is damaged. Try again.");
        }
        File.Move(temp, archive, overwrite: true);
    }

    static string Md5Of(string path)
    {
        using var stream = File.OpenRead(path);
        return Convert.ToHexString(MD5.HashData(stream)).ToLowerInvariant();
    }
}
