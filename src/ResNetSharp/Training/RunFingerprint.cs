using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using ResNetSharp.Data;
using ResNetSharp.Distributed;

namespace ResNetSharp.Training;

/// <summary>Thrown when the ranks of a job do not train the same thing: different configuration, data or program build.</summary>
public sealed class RankMismatchException(string message) : Exception(message);

/// <summary>
/// What every rank of a data-parallel job must share, hashed: the configuration (less the per-machine fields: data
/// paths and loader threads), the training data (class names, labels, normalisation and the pixels of up to 64
/// images spread over the set) and the program build (ResNetSharp's and TorchSharp's module ids).
/// </summary>
public static class RunFingerprint
{
    static readonly string[] Parts = ["training configuration", "training data", "program build"];

    /// <summary>The three hashes of this rank, in the order configuration, data, build.</summary>
    public static byte[][] Of(TrainingConfig config, TrainingData data)
    {
        var portable = config with { Data = "", DataDir = null, Workers = 0 };
        var configHash = SHA256.HashData(Encoding.UTF8.GetBytes(JsonSerializer.Serialize(portable, Checkpoint.Json)));
        using var dataHash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        dataHash.AppendData(Encoding.UTF8.GetBytes(string.Join("\n", data.ClassNames) + "\n" + JsonSerializer.Serialize(data.Normalization, Checkpoint.Json)));
        foreach (var set in new[] { data.Train, data.Test })
        {
            dataHash.AppendData(BitConverter.GetBytes(set.Count));
            var labels = new byte[set.Count * sizeof(int)];
            for (var i = 0; i < set.Count; i++) BitConverter.TryWriteBytes(labels.AsSpan(i * sizeof(int)), set.Label(i));
            dataHash.AppendData(labels);
            var step = Math.Max(1, set.Count / 64);
            for (var i = 0; i < set.Count; i += step) dataHash.AppendData(set.Image(i).Pixels.Span);
        }
        var build = SHA256.HashData(Encoding.UTF8.GetBytes(
            $"{typeof(RunFingerprint).Assembly.ManifestModule.ModuleVersionId}|{typeof(TorchSharp.torch).Assembly.ManifestModule.ModuleVersionId}"));
        return [configHash, dataHash.GetHashAndReset(), build];
    }

    /// <summary>
    /// Compares every rank's fingerprint with rank 0's; when any differs, every rank throws
    /// <see cref="RankMismatchException"/> naming the ranks and what differs, before any training.
    /// </summary>
    public static void Verify(ICommunicator comm, byte[][] mine)
    {
        if (comm.Size == 1) return;
        var flat = mine.SelectMany(h => h).ToArray();
        var root = comm.BroadcastBytes(comm.Rank == 0 ? flat : null);
        var differs = new double[Parts.Length * comm.Size];
        var offset = 0;
        for (var k = 0; k < Parts.Length; k++)
        {
            if (root.Length != flat.Length || !root.AsSpan(offset, mine[k].Length).SequenceEqual(mine[k])) differs[k * comm.Size + comm.Rank] = 1;
            offset += mine[k].Length;
        }
        comm.AllReduceSum(differs);
        var problems = new List<string>();
        for (var k = 0; k < Parts.Length; k++)
        {
            var ranks = Enumerable.Range(0, comm.Size).Where(r => differs[k * comm.Size + r] > 0).ToList();
            if (ranks.Count > 0) problems.Add($"{(ranks.Count > 1 ? "ranks" : "rank")} {string.Join(", ", ranks)} {(ranks.Count > 1 ? "have" : "has")} a different {Parts[k]} than rank 0");
        }
        if (problems.Count > 0)
            throw new RankMismatchException(
                $"The ranks of this job would train different models: {string.Join("; ", problems)}. " +
                "Launch every rank with the same arguments, the same data and the same ResNetSharp build.");
    }
}
