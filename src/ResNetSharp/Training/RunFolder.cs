namespace ResNetSharp.Training;

/// <summary>
/// The folder a <c>train</c> run writes: the names of its files, and which checkpoint stands for the folder when a
/// command is given the folder instead of a file.
/// </summary>
public static class RunFolder
{
    /// <summary>The checkpoint at the end of the last completed step written (what <c>--resume</c> continues).</summary>
    public const string LatestFile = "latest.ckpt";

    /// <summary>The checkpoint with the lowest test (or validation) error so far.</summary>
    public const string BestFile = "best.ckpt";

    /// <summary>The resolved configuration of the run.</summary>
    public const string ConfigFile = "config.json";

    /// <summary>The metrics log, one JSON object a row.</summary>
    public const string MetricsJsonFile = "metrics.jsonl";

    /// <summary>The metrics log as CSV.</summary>
    public const string MetricsCsvFile = "metrics.csv";

    /// <summary>The training-curve plot.</summary>
    public const string CurveFile = "curve.png";

    /// <summary>The training images that could not be read.</summary>
    public const string SkippedFile = "skipped-images.txt";

    /// <summary>The lock a training process holds on the folder.</summary>
    public const string LockFile = ".lock";

    /// <summary>True when <paramref name="path"/> is a folder holding a checkpoint of a run.</summary>
    public static bool IsRunFolder(string path) =>
        Directory.Exists(path) && (File.Exists(Path.Combine(path, BestFile)) || File.Exists(Path.Combine(path, LatestFile)));

    /// <summary>
    /// A checkpoint file itself, or for a run folder its best checkpoint, else its latest. A best checkpoint that does
    /// not pass its checks (torn by a crash) never hides a good latest one: <paramref name="note"/> says so and the
    /// latest is used. A folder with neither fails naming what it lacks.
    /// </summary>
    public static string Checkpoint(string path, Action<string>? note = null)
    {
        if (!Directory.Exists(path)) return path;
        var best = Path.Combine(path, BestFile);
        var latest = Path.Combine(path, LatestFile);
        if (!File.Exists(best) && !File.Exists(latest))
            throw new FileNotFoundException($"'{path}' is a folder without {BestFile} or {LatestFile}. Pass a run folder of 'resnet train' or a .ckpt file.", latest);
        if (!File.Exists(best)) return latest;
        if (!File.Exists(latest)) return best;
        try
        {
            TensorFile.Read(best).Tensors.Values.ToList().ForEach(t => t.Dispose());
            return best;
        }
        catch (InvalidDataException e)
        {
            note?.Invoke($"{best} is damaged ({e.Message}); using {latest} instead.");
            return latest;
        }
    }
}
