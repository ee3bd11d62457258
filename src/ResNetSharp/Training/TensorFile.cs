using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using ResNetSharp.Interop;
using static TorchSharp.torch;

namespace ResNetSharp.Training;

/// <summary>
/// Named tensors plus string metadata in the safetensors layout (8-byte header length, JSON header,
/// raw little-endian data), so checkpoints open in any safetensors reader. The metadata carries a
/// SHA-256 of the data region; <see cref="Read"/> checks the structure as any safetensors file is checked,
/// then the hash, and rejects torn, truncated or foreign files before creating a tensor. Files are written to a temporary name and renamed into place.
/// </summary>
public static class TensorFile
{
    const string HashKey = "sha256";

    /// <summary>Writes <paramref name="tensors"/> and <paramref name="metadata"/> to <paramref name="path"/> atomically.</summary>
    public static void Write(string path, IEnumerable<KeyValuePair<string, Tensor>> tensors, IReadOnlyDictionary<string, string> metadata)
    {
        var header = new JsonObject();
        var blobs = new List<byte[]>();
        long offset = 0;
        foreach (var (name, tensor) in tensors)
        {
            var type = SafetensorsHeader.Dtypes.FirstOrDefault(d => d.Type == tensor.dtype);
            if (type.Name is null) throw new ArgumentException($"Tensor '{name}' has dtype {tensor.dtype}, which safetensors cannot store.");
            using var cpu = tensor.detach().cpu().contiguous();
            var bytes = cpu.bytes.ToArray();
            header[name] = new JsonObject
            {
                ["dtype"] = type.Name,
                ["shape"] = new JsonArray(cpu.shape.Select(d => (JsonNode)d).ToArray()),
                ["data_offsets"] = new JsonArray(offset, offset + bytes.Length),
            };
            blobs.Add(bytes);
            offset += bytes.Length;
        }
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var b in blobs) sha.AppendData(b);
        var meta = new JsonObject();
        foreach (var (k, v) in metadata) meta[k] = v;
        meta[HashKey] = Convert.ToHexString(sha.GetHashAndReset()).ToLowerInvariant();
        header["__metadata__"] = meta;
        var json = Encoding.UTF8.GetBytes(header.ToJsonString());
        var padded = (json.Length + 7) / 8 * 8; // safetensors pads the header with spaces to 8 bytes

        var folder = Path.GetDirectoryName(Path.GetFullPath(path))!;
        Directory.CreateDirectory(folder);
        var temp = Path.Combine(folder, $".{Path.GetFileName(path)}.{Environment.ProcessId}.tmp");
        using (var file = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20))
        {
            Span<byte> length = stackalloc byte[8];
            BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)padded);
            file.Write(length);
            file.Write(json);
            for (var i = json.Length; i < padded; i++) file.WriteByte((byte)' ');
            foreach (var b in blobs) file.Write(b);
            file.Flush(flushToDisk: true);
        }
        File.Move(temp, path, overwrite: true);
    }

    /// <summary>Reads a file written by <see cref="Write"/>, checking its structure and hash first.</summary>
    public static (Dictionary<string, Tensor> Tensors, Dictionary<string, string> Metadata) Read(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"No checkpoint or tensor file at '{path}'.", path);
        SafetensorsHeader.Validate(path); // structure first: header size, dtypes, shapes and offsets, before any tensor exists
        var all = File.ReadAllBytes(path);
        string Bad(string why) => $"'{path}' is not a valid ResNetSharp tensor file ({why}). It may be torn by an interrupted write or not be a checkpoint; use another checkpoint (e.g. best instead of latest).";
        var headerLength = (int)BinaryPrimitives.ReadUInt64LittleEndian(all);
        var header = JsonNode.Parse(all.AsSpan(8, headerLength))!.AsObject();
        var data = all.AsMemory(8 + headerLength);
        var metadata = header["__metadata__"] is JsonObject m ? m.ToDictionary(p => p.Key, p => p.Value?.GetValue<string>() ?? "") : [];
        if (!metadata.TryGetValue(HashKey, out var expected)) throw new InvalidDataException(Bad("no sha256 in its metadata"));
        var actual = Convert.ToHexString(SHA256.HashData(data.Span)).ToLowerInvariant();
        if (actual != expected) throw new InvalidDataException(Bad("data does not match its sha256: truncated or corrupted"));

        var tensors = new Dictionary<string, Tensor>();
        try
        {
            foreach (var (name, node) in header)
            {
                if (name == "__metadata__") continue;
                var entry = node!.AsObject();
                var dtypeName = entry["dtype"]!.GetValue<string>();
                var type = SafetensorsHeader.Dtypes.First(d => d.Name == dtypeName).Type;
                var shape = entry["shape"]!.AsArray().Select(d => d!.GetValue<long>()).ToArray();
                var offsets = entry["data_offsets"]!.AsArray().Select(d => d!.GetValue<long>()).ToArray();
                var tensor = empty(shape, type);
                data.Span.Slice((int)offsets[0], (int)(offsets[1] - offsets[0])).CopyTo(tensor.bytes);
                tensors[name] = tensor;
            }
        }
        catch (Exception e)
        {
            foreach (var t in tensors.Values) t.Dispose();
            if (e is InvalidDataException) throw;
            throw new InvalidDataException(Bad($"malformed header: {e.Message}"), e);
        }
        return (tensors, metadata);
    }
}
