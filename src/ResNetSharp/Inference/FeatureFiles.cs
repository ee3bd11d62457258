using System.Globalization;
using System.Text;

namespace ResNetSharp.Inference;

/// <summary>Feature vectors on disk (NumPy .npy, CSV) and nearest-neighbour search over them by cosine similarity.</summary>
public static class FeatureFiles
{
    /// <summary>Writes <paramref name="rows"/> (all of one length) as a float32 C-order .npy array [N, D] (format version 1.0).</summary>
    public static void WriteNpy(string path, IReadOnlyList<float[]> rows)
    {
        var d = Width(rows);
        var header = $"{{'descr': '<f4', 'fortran_order': False, 'shape': ({rows.Count}, {d}), }}";
        var total = 10 + header.Length + 1;
        header += new string(' ', (64 - total % 64) % 64) + "\n"; // the header block is padded to a multiple of 64 bytes
        using var stream = File.Create(path);
        using var writer = new BinaryWriter(stream);
        writer.Write((byte)0x93);
        writer.Write("NUMPY"u8);
        writer.Write((byte)1);
        writer.Write((byte)0);
        writer.Write((ushort)header.Length);
        writer.Write(Encoding.ASCII.GetBytes(header));
        foreach (var row in rows)
            foreach (var v in row) writer.Write(v); // BinaryWriter is little-endian, as '<f4' says
    }

    /// <summary>Reads a float32 [N, D] .npy written by <see cref="WriteNpy"/> (or NumPy, C order).</summary>
    public static float[][] ReadNpy(string path)
    {
        using var reader = new BinaryReader(File.OpenRead(path));
        if (reader.ReadByte() != 0x93 || Encoding.ASCII.GetString(reader.ReadBytes(5)) != "NUMPY") throw new InvalidDataException($"'{path}' is not a .npy file.");
        var major = reader.ReadByte();
        reader.ReadByte();
        int length = major == 1 ? reader.ReadUInt16() : (int)reader.ReadUInt32();
        var header = Encoding.ASCII.GetString(reader.ReadBytes(length));
        if (!header.Contains("'<f4'", StringComparison.Ordinal) || header.Contains("'fortran_order': True", StringComparison.Ordinal))
            throw new InvalidDataException($"'{path}' is not a C-order float32 array.");
        var shape = header[(header.IndexOf('(') + 1)..header.IndexOf(')')].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(v => int.Parse(v, CultureInfo.InvariantCulture)).ToArray();
        if (shape.Length != 2) throw new InvalidDataException($"'{path}' holds a {shape.Length}-D array; [N, D] was expected.");
        return [.. Enumerable.Range(0, shape[0]).Select(_ => Enumerable.Range(0, shape[1]).Select(_ => reader.ReadSingle()).ToArray())];
    }

    /// <summary>Writes one line per image: its source, then its features.</summary>
    public static void WriteCsv(string path, IReadOnlyList<(string Source, float[] Features)> rows)
    {
        var d = Width(rows.Select(r => r.Features).ToArray());
        using var writer = new StreamWriter(path);
        writer.WriteLine("source," + string.Join(",", Enumerable.Range(0, d).Select(i => $"f{i}")));
        foreach (var (source, features) in rows)
            writer.WriteLine($"\"{source.Replace("\"", "\"\"", StringComparison.Ordinal)}\"," + string.Join(",", features.Select(v => v.ToString("R", CultureInfo.InvariantCulture))));
    }

    /// <summary>For each row, the <paramref name="k"/> other rows of highest cosine similarity, best first.</summary>
    public static IReadOnlyList<(int Index, double Cosine)>[] Nearest(IReadOnlyList<float[]> rows, int k)
    {
        Width(rows);
        var norms = rows.Select(r => Math.Sqrt(r.Sum(v => (double)v * v))).ToArray();
        var result = new IReadOnlyList<(int, double)>[rows.Count];
        for (var i = 0; i < rows.Count; i++)
        {
            var a = rows[i];
            result[i] = Enumerable.Range(0, rows.Count).Where(j => j != i)
                .Select(j => (j, Cosine(a, rows[j], norms[i], norms[j])))
                .OrderByDescending(p => p.Item2).ThenBy(p => p.j).Take(k).ToArray();
        }
        return result;
    }

    /// <summary>Cosine similarity of two vectors of one length.</summary>
    public static double Cosine(float[] a, float[] b) => Cosine(a, b, Math.Sqrt(a.Sum(v => (double)v * v)), Math.Sqrt(b.Sum(v => (double)v * v)));

    static double Cosine(float[] a, float[] b, double na, double nb)
    {
        if (a.Length != b.Length) throw new ArgumentException($"Vectors of lengths {a.Length} and {b.Length} cannot be compared.");
        double dot = 0;
        for (var i = 0; i < a.Length; i++) dot += (double)a[i] * b[i];
        return na == 0 || nb == 0 ? 0 : dot / (na * nb);
    }

    static int Width(IReadOnlyList<float[]> rows)
    {
        if (rows.Count == 0) throw new ArgumentException("No feature vectors were given.");
        var d = rows[0].Length;
        if (rows.Any(r => r.Length != d)) throw new ArgumentException("Feature vectors differ in length.");
        return d;
    }
}
