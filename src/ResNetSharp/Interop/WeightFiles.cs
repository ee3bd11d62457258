using System.Collections;
using ResNetSharp.Models;
using TorchSharp;
using TorchSharp.PyBridge;
using static TorchSharp.torch;

namespace ResNetSharp.Interop;

/// <summary>What <see cref="WeightFiles.Load"/> matched.</summary>
/// <param name="Loaded">Tensors copied into the network.</param>
/// <param name="Missing">Keys of the network that the file lacks (they keep their values).</param>
/// <param name="Unexpected">Keys in the file that the network does not have (ignored).</param>
public sealed record WeightLoadReport(int Loaded, IReadOnlyList<string> Missing, IReadOnlyList<string> Unexpected);

/// <summary>
/// Weights in the files the PyTorch ecosystem uses: torchvision/timm-style state dicts in safetensors or in
/// PyTorch's zip format (<c>torch.save(model.state_dict())</c>), matched by key. Files are checked before any
/// parser sees them (see <see cref="SafetensorsHeader"/> and <see cref="PickleGuard"/>); nothing in a file is executed.
/// </summary>
public static class WeightFiles
{
    /// <summary>
    /// Copies the tensors of the file at <paramref name="path"/> into <paramref name="net"/> by name (a DataParallel
    /// <c>module.</c> prefix is dropped). A shape mismatch throws naming the key and both shapes; with
    /// <paramref name="strict"/>, so do missing and unexpected keys (BN's <c>num_batches_tracked</c> may be missing).
    /// </summary>
    public static WeightLoadReport Load(ResNet net, string path, bool strict = false)
    {
        ArgumentNullException.ThrowIfNull(net);
        var loaded = Read(path);
        try
        {
            using var noGrad = no_grad();
            var state = net.state_dict();
            var count = 0;
            foreach (var (key, target) in state)
            {
                if (!loaded.TryGetValue(key, out var source)) continue;
                if (!source.shape.SequenceEqual(target.shape))
                    throw new InvalidDataException($"'{path}': weight '{key}' has shape [{string.Join(",", source.shape)}] but {net.Spec.Name} needs [{string.Join(",", target.shape)}]. Is it a checkpoint of another network or class count?");
                target.copy_(source.to(target.dtype));
                count++;
            }
            var missing = state.Keys.Where(k => !loaded.ContainsKey(k)).ToList();
            var unexpected = loaded.Keys.Where(k => !state.ContainsKey(k)).ToList();
            if (strict && (missing.Any(k => !k.EndsWith("num_batches_tracked", StringComparison.Ordinal)) || unexpected.Count > 0))
                throw new InvalidDataException($"'{path}' does not match {net.Spec.Name}: missing {Few(missing)}; unexpected {Few(unexpected)}. Check the network name.");
            return new WeightLoadReport(count, missing, unexpected);
        }
        finally
        {
            foreach (var t in loaded.Values) t.Dispose();
        }
    }

    /// <summary>
    /// The state dict in the file (safetensors, or PyTorch zip detected by its "PK" signature), after validation.
    /// The caller owns the tensors.
    /// </summary>
    public static Dictionary<string, Tensor> Read(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        if (!File.Exists(path)) throw new FileNotFoundException($"No weights file at '{path}'. Check the path.", path);
        Span<byte> magic = stackalloc byte[2];
        using (var probe = File.OpenRead(path)) probe.ReadAtLeast(magic, 2, throwOnEndOfStream: false);
        Dictionary<string, Tensor> state;
        if (magic[0] == (byte)'P' && magic[1] == (byte)'K')
        {
            PickleGuard.Validate(path);
            var table = PyTorchUnpickler.UnpickleStateDict(path);
            state = [];
            foreach (DictionaryEntry e in table)
            {
                if (e.Key is not string key || e.Value is not Tensor t)
                    throw new InvalidDataException($"'{path}' is not a plain state dict: entry '{e.Key}' is a {e.Value?.GetType().Name ?? "null"}, not a tensor. Save model.state_dict(), not the model or a training checkpoint.");
                state[key] = t;
            }
        }
        else
        {
            SafetensorsHeader.Validate(path);
            state = Safetensors.LoadStateDict(path);
        }
        return state.ToDictionary(kv => kv.Key.StartsWith("module.", StringComparison.Ordinal) ? kv.Key[7..] : kv.Key, kv => kv.Value);
    }

    /// <summary>Writes the network's state dict (parameters and BN statistics, torchvision keys) as safetensors.</summary>
    public static void SaveSafetensors(ResNet net, string path)
    {
        ArgumentNullException.ThrowIfNull(net);
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var directory = Path.GetDirectoryName(Path.GetFullPath(path))!;
        if (!Directory.Exists(directory)) throw new DirectoryNotFoundException($"Cannot write '{path}': folder '{directory}' does not exist.");
        net.save_safetensors(path);
    }

    static string Few(IReadOnlyList<string> keys) =>
        keys.Count == 0 ? "none" : string.Join(", ", keys.Take(8)) + (keys.Count > 8 ? $" and {keys.Count - 8} more" : "");
}
