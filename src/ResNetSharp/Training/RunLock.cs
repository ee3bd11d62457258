using ResNetSharp.Runtime;

namespace ResNetSharp.Training;

/// <summary>Thrown when another process holds a run folder.</summary>
public sealed class RunFolderLockedException(string message) : IOException(message);

/// <summary>
/// An exclusive, OS-level lock on a run folder (flock on Unix, a share-none handle on Windows) held while a
/// run trains there: the lock dies with the process, so a crashed run never leaves a stale lock. Who holds it
/// is written next to it, for the message a second process gets.
/// </summary>
public sealed class RunLock : IDisposable
{
    const string HolderFile = RunFolder.LockFile + ".holder";
    readonly FileStream handle;

    RunLock(FileStream handle) => this.handle = handle;

    /// <summary>Takes the lock on <paramref name="runDirectory"/> or throws <see cref="RunFolderLockedException"/> naming the holder.</summary>
    public static RunLock Acquire(string runDirectory)
    {
        Directory.CreateDirectory(runDirectory);
        var path = Path.Combine(runDirectory, RunFolder.LockFile);
        FileStream handle;
        try
        {
            handle = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException e) when (e is not FileNotFoundException and not DirectoryNotFoundException)
        {
            string holder;
            try
            {
                holder = File.ReadAllText(Path.Combine(runDirectory, HolderFile)).Trim();
            }
            catch (IOException)
            {
                holder = "another process";
            }
            throw new RunFolderLockedException($"Run folder {runDirectory} is in use by {holder}. Wait for it to finish, stop it, or choose another --out folder.");
        }
        AtomicFile.WriteAllText(Path.Combine(runDirectory, HolderFile),
            $"process {Environment.ProcessId} ({Environment.ProcessPath}) on {Environment.MachineName}, since {DateTime.UtcNow:yyyy-MM-dd HH:mm:ss} UTC\n");
        return new RunLock(handle);
    }

    /// <summary>Deletes the lock files of a run folder that is being removed (call before disposing).</summary>
    internal static void Forget(string runDirectory)
    {
        File.Delete(Path.Combine(runDirectory, HolderFile));
        File.Delete(Path.Combine(runDirectory, RunFolder.LockFile));
    }

    /// <inheritdoc />
    public void Dispose() => handle.Dispose();
}
