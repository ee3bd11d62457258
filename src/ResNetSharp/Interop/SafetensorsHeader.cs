using System.Buffers.Binary;
using System.Text.Json;
using static TorchSharp.torch;

namespace ResNetSharp.Interop;

/// <summary>
/// Checks a safetensors file's header before any parser sees it: the header length is at most
/// <see cref="MaxHeaderBytes"/> and inside the file, it is a JSON object of tensors whose dtype and shape
/// agree with their byte ranges, and the ranges lie in the data region without overlapping, and it lists at
/// most <see cref="MaxTensors"/> tensors (a header of a million empty tensors would take a minute and gigabytes).
/// </summary>
internal static class SafetensorsHeader
{
    public const long MaxHeaderBytes = 100L * 1024 * 1024;

    /// <summary>Most tensors a file may list (ResNet-152 with momentum has about 2,000).</summary>
    public const int MaxTensors = 100_000;

    /// <summary>The safetensors dtypes libtorch has: the name in the header, the libtorch type, bytes per element.</summary>
    public static IReadOnlyList<(string Name, ScalarType Type, int Size)> Dtypes { get; } =
    [
        ("F64", ScalarType.Float64, 8),
        ("F32", ScalarType.Float32, 4),
        ("F16", ScalarType.Float16, 2),
        ("BF16", ScalarType.BFloat16, 2),
        ("I64", ScalarType.Int64, 8),
        ("I32", ScalarType.Int32, 4),
        ("I16", ScalarType.Int16, 2),
        ("I8", ScalarType.Int8, 1),
        ("U8", ScalarType.Byte, 1),
        ("BOOL", ScalarType.Bool, 1),
    ];

    static readonly Dictionary<string, int> DtypeBytes = Dtypes.ToDictionary(d => d.Name, d => d.Size);

    /// <summary>Throws <see cref="InvalidDataException"/> naming what is wrong with the file at <paramref name="path"/>.</summary>
    public static void Validate(string path)
    {
        using var file = File.OpenRead(path);
        var length = file.Length;
        Span<byte> prefix = stackalloc byte[8];
        if (length < 8 || file.ReadAtLeast(prefix, 8, throwOnEndOfStream: false) < 8)
            throw Bad(path, $"it has {length} bytes, fewer than the 8-byte header length");
        var headerLength = BinaryPrimitives.ReadUInt64LittleEndian(prefix);
        if (headerLength < 2 || headerLength > MaxHeaderBytes)
            throw Bad(path, $"its header length {headerLength} is outside 2..{MaxHeaderBytes} bytes");
        if ((long)headerLength > length - 8)
            throw Bad(path, $"its header length {headerLength} runs past the end of the {length}-byte file (truncated?)");
        var header = new byte[headerLength];
        file.ReadExactly(header);
        var dataLength = length - 8 - (long)headerLength;

        JsonDocument json;
        try
        {
            json = JsonDocument.Parse(header);
        }
        catch (JsonException e)
        {
            throw Bad(path, $"its header is not JSON ({e.Message})");
        }
        using (json)
        {
            if (json.RootElement.ValueKind != JsonValueKind.Object) throw Bad(path, "its header is not a JSON object");
            var ranges = new List<(long Begin, long End, string Name)>();
            try
            {
                foreach (var entry in json.RootElement.EnumerateObject())
                {
                    if (entry.Name == "__metadata__") continue;
                    if (ranges.Count == MaxTensors) throw Bad(path, $"it lists more than {MaxTensors:N0} tensors");
                    ranges.Add(Range(path, entry, dataLength));
                }
            }
            catch (InvalidOperationException e)
            {
                throw Bad(path, $"its header is not valid UTF-8 JSON ({e.Message})"); // a flipped byte in a name
            }
            ranges.Sort((a, b) => a.Begin.CompareTo(b.Begin));
            for (var i = 1; i < ranges.Count; i++)
            {
                if (ranges[i].Begin < ranges[i - 1].End)
                    throw Bad(path, $"tensors '{ranges[i - 1].Name}' and '{ranges[i].Name}' overlap");
            }
        }
    }

    static (long, long, string) Range(string path, JsonProperty entry, long dataLength)
    {
        var t = entry.Value;
        if (t.ValueKind != JsonValueKind.Object || !t.TryGetProperty("dtype", out var dtype) || !t.TryGetProperty("shape", out var shape) || !t.TryGetProperty("data_offsets", out var offsets))
            throw Bad(path, $"tensor '{entry.Name}' lacks dtype, shape or data_offsets");
        if (dtype.ValueKind != JsonValueKind.String || !DtypeBytes.TryGetValue(dtype.GetString()!, out var size))
            throw Bad(path, $"tensor '{entry.Name}' has unknown dtype {dtype}");
        if (shape.ValueKind != JsonValueKind.Array || offsets.ValueKind != JsonValueKind.Array || offsets.GetArrayLength() != 2)
            throw Bad(path, $"tensor '{entry.Name}' has a malformed shape or data_offsets");
        long count = 1;
        foreach (var d in shape.EnumerateArray())
        {
            if (!d.TryGetInt64(out var n) || n < 0) throw Bad(path, $"tensor '{entry.Name}' has a negative or non-integer dimension");
            count = n == 0 ? 0 : count > long.MaxValue / n ? throw Bad(path, $"tensor '{entry.Name}' is impossibly large") : count * n;
        }
        if (!offsets[0].TryGetInt64(out var begin) || !offsets[1].TryGetInt64(out var end) || begin < 0 || end < begin || end > dataLength)
            throw Bad(path, $"tensor '{entry.Name}' has offsets {offsets} outside the {dataLength}-byte data region");
        if (count > long.MaxValue / size || end - begin != count * size)
            throw Bad(path, $"tensor '{entry.Name}' ({dtype.GetString()} {shape}) needs {count * size} bytes but its offsets span {end - begin}");
        return (begin, end, entry.Name);
    }

    static InvalidDataException Bad(string path, string what) =>
        new($"'{path}' is not a valid safetensors file: {what}. Re-save it with safetensors (save_file) or check that the download is complete.");
}
