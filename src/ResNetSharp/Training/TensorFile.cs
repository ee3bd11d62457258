using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using ResNetSharp.Interop;
using ResNetSharp.Runtime;
using static TorchSharp.torch;

namespace ResNetSharp.Training;

/// <summary>
/// Named tensors plus string metadata in the safetensors layout (8-byte header length, JSON header,
/// raw little-endian data), so checkpoints open in any safetensors reader. The metadata carries two SHA-256s:
/// <c>sha256</c> of the data region (the only one files written before the header hash had) and
/// <c>sha256_all</c> of the header (every tensor's name, dtype, shape and offsets, every metadata entry) and the
/// data together. <see cref="Read"/> checks the structure as any safetensors file is checked, then the hashes,
/// and rejects torn, truncated, edited or foreign files before creating a tensor. Files are written through
/// <see cref="AtomicFile"/>.
/// </summary>
public static class TensorFile
{
    const string HashKey = "sha256";
    const string FullHashKey = "sha256_all";

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
        meta[FullHashKey] = FullHash(header, blobs.Select(b => (ReadOnlyMemory<byte>)b));
        var json = Encoding.UTF8.GetBytes(header.ToJsonString());
        var padded = (json.Length + 7) / 8 * 8; // safetensors pads the header with spaces to 8 bytes

        AtomicFile.Write(path, file =>
        {
            Span<byte> length = stackalloc byte[8];
            BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)padded);
            file.Write(length);
            file.Write(json);
            for (var i = json.Length; i < padded; i++) file.WriteByte((byte)' ');
            foreach (var b in blobs) file.Write(b);
        });
    }

    /// <summary>
    /// SHA-256 of a canonical form of the header (tensor entries in order, metadata sorted by key, both hashes
    /// left out) followed by the data, so editing any header field or data byte changes it.
    /// </summary>
    static string FullHash(JsonObject header, IEnumerable<ReadOnlyMemory<byte>> data)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        void Add(string text)
        {
            sha.AppendData(Encoding.UTF8.GetBytes(text));
            sha.AppendData([0]);
        }
        foreach (var (name, node) in header)
        {
            if (name == "__metadata__") continue;
            var entry = node!.AsObject();
            Add(name);
            Add(entry["dtype"]!.GetValue<string>());
            Add(string.Join(",", entry["shape"]!.AsArray().Select(d => d!.GetValue<long>())));
            Add(string.Join(",", entry["data_offsets"]!.AsArray().Select(d => d!.GetValue<long>())));
        }
        if (header["__metadata__"] is JsonObject meta)
        {
            foreach (var (key, value) in meta.Where(p => p.Key is not HashKey and not FullHashKey).OrderBy(p => p.Key, StringComparer.Ordinal))
            {
                Add(key);
                Add(value?.GetValue<string>() ?? "");
            }
        }
        foreach (var d in data) sha.AppendData(d.Span);
        return Convert.ToHexString(sha.GetHashAndReset()).ToLowerInvariant();
    }

    /// <summary>
    /// Reads a file written by <see cref="Write"/>, checking its structure and hashes first. <c>HeaderVerified</c> is
    /// false for a file written before the header hash existed (its data hash was checked; its header cannot be).
    /// </summary>
    public static (Dictionary<string, Tensor> Tensors, Dictionary<string, string> Metadata, bool HeaderVerified) Read(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"No checkpoint or tensor file at '{path}'.", path);
        SafetensorsHeader.Validate(path); // structure first: header size, dtypes, shapes and offsets, before any tensor exists
        var all = File.ReadAllBytes(path);
        string Bad(string why) => $"'{path}' is not a valid ResNetSharp tensor file ({why}). It may be torn by an interrupted write, edited, or not be a checkpoint; use the run folder's other checkpoint (best.ckpt or latest.ckpt) or an earlier copy.";
        var headerLength = (int)BinaryPrimitives.ReadUInt64LittleEndian(all);
        var data = all.AsMemory(8 + headerLength);
        JsonObject header;
        Dictionary<string, string> metadata;
        string? full;
        try
        {
            header = JsonNode.Parse(all.AsSpan(8, headerLength))!.AsObject();
            metadata = header["__metadata__"] is JsonObject m ? m.ToDictionary(p => p.Key, p => p.Value?.GetValue<string>() ?? "") : [];
            full = metadata.TryGetValue(FullHashKey, out var f) ? FullHash(header, [data]) == f ? "ok" : "bad" : null;
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or ArgumentException or FormatException or NullReferenceException)
        {
            throw new InvalidDataException(Bad($"unreadable header: {e.Message.Split('\n')[0]}"), e); // e.g. invalid UTF-8 from a flipped byte
        }
        if (full == "bad") throw new InvalidDataException(Bad("header or data does not match its sha256_all: edited, truncated or corrupted"));
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
        return (tensors, metadata, full == "ok");
    }
}
