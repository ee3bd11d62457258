using System.IO.Compression;
using System.Text;

namespace ResNetSharp.Interop;

/// <summary>
/// Checks a PyTorch zip checkpoint (<c>torch.save</c>) before it is unpickled: the pickle program in
/// <c>data.pkl</c> may only name the classes a plain state dict needs (OrderedDict, tensor rebuilders, storages),
/// like <c>torch.load(weights_only=True)</c>. Anything else (os.system, eval, custom classes) is rejected unread.
/// </summary>
internal static class PickleGuard
{
    const long MaxPickleBytes = 100L * 1024 * 1024;

    static readonly HashSet<string> Allowed =
    [
        "collections.OrderedDict", "torch._utils._rebuild_tensor_v2", "torch._utils._rebuild_parameter", "torch._utils._rebuild_tensor",
        "torch.FloatStorage", "torch.DoubleStorage", "torch.HalfStorage", "torch.BFloat16Storage", "torch.LongStorage", "torch.IntStorage",
        "torch.ShortStorage", "torch.CharStorage", "torch.ByteStorage", "torch.BoolStorage",
    ];

    public static void Validate(string path)
    {
        using var stream = File.OpenRead(path);
        ZipArchive zip;
        try
        {
            zip = new ZipArchive(stream, ZipArchiveMode.Read);
        }
        catch (InvalidDataException e)
        {
            throw Bad(path, $"it is not a zip archive ({e.Message}); only the zip format of torch.save (PyTorch ≥ 1.6) is read");
        }
        using (zip)
        {
            var pickles = zip.Entries.Where(e => e.FullName.EndsWith("data.pkl", StringComparison.Ordinal)).ToList();
            if (pickles.Count != 1) throw Bad(path, $"it has {pickles.Count} data.pkl entries instead of one");
            if (pickles[0].Length > MaxPickleBytes) throw Bad(path, $"its data.pkl has {pickles[0].Length} bytes, more than a state dict needs");
            using var pickle = pickles[0].Open();
            var bytes = new byte[pickles[0].Length];
            pickle.ReadExactly(bytes);
            Scan(path, bytes);
        }
    }

    // Walks the pickle opcodes without executing them; every class the program would import must be allowed.
    static void Scan(string path, byte[] p)
    {
        var strings = new List<string?>();   // last pushed values, as far as they are strings
        var memo = new Dictionary<long, string?>();
        var i = 0;
        while (i < p.Length)
        {
            var op = (char)p[i++];
            switch (op)
            {
                case '.':
                    return;
                case 'c' or 'i':
                    var module = Line(p, ref i);
                    var name = Line(p, ref i);
                    Check(path, module, name);
                    strings.Add(null);
                    break;
                case '\x93':
                    if (strings.Count < 2 || strings[^2] is not { } m || strings[^1] is not { } n) throw Bad(path, "its pickle imports a class it computes at run time");
                    Check(path, m, n);
                    strings.Add(null);
                    break;
                case '\x94':
                    memo[memo.Count] = strings.Count > 0 ? strings[^1] : null;
                    break;
                case 'q':
                    memo[p[i++]] = strings.Count > 0 ? strings[^1] : null;
                    break;
                case 'r':
                    memo[BitConverter.ToUInt32(p, Need(p, i, 4))] = strings.Count > 0 ? strings[^1] : null;
                    i += 4;
                    break;
                case 'p':
                    memo[long.Parse(Line(p, ref i), System.Globalization.CultureInfo.InvariantCulture)] = strings.Count > 0 ? strings[^1] : null;
                    break;
                case 'h':
                    strings.Add(memo.GetValueOrDefault(p[Need(p, i, 1)]));
                    i += 1;
                    break;
                case 'j':
                    strings.Add(memo.GetValueOrDefault(BitConverter.ToUInt32(p, Need(p, i, 4))));
                    i += 4;
                    break;
                case 'g':
                    strings.Add(memo.GetValueOrDefault(long.Parse(Line(p, ref i), System.Globalization.CultureInfo.InvariantCulture)));
                    break;
                case '\x8c':
                    var n1 = p[Need(p, i, 1)];
                    strings.Add(Encoding.UTF8.GetString(p, Need(p, i + 1, n1), n1));
                    i += 1 + n1;
                    break;
                case 'X':
                    var n4 = (int)BitConverter.ToUInt32(p, Need(p, i, 4));
                    strings.Add(Encoding.UTF8.GetString(p, Need(p, i + 4, n4), n4));
                    i += 4 + n4;
                    break;
                case '(' or '0' or '1' or '2' or 'N' or 'R' or 'a' or 'b' or 'd' or '}' or 'e' or 'l' or ']' or 'o' or 's' or 'u' or 't' or ')'
                    or '\x85' or '\x86' or '\x87' or '\x88' or '\x89' or '\x81' or '\x92' or 'Q' or '\x8f' or '\x90' or '\x91':
                    strings.Add(null);
                    break;
                case 'K' or '\x80':
                    Need(p, i, 1);
                    i += 1;
                    strings.Add(null);
                    break;
                case 'M':
                    Need(p, i, 2);
                    i += 2;
                    strings.Add(null);
                    break;
                case 'J':
                    Need(p, i, 4);
                    i += 4;
                    strings.Add(null);
                    break;
                case 'G' or '\x95':
                    Need(p, i, 8);
                    i += 8;
                    if (op == 'G') strings.Add(null);
                    break;
                case 'C' or 'U' or '\x8a':
                    var s1 = p[Need(p, i, 1)];
                    Need(p, i + 1, s1);
                    i += 1 + s1;
                    strings.Add(null);
                    break;
                case 'T' or 'B' or '\x8b':
                    var s4 = (int)BitConverter.ToUInt32(p, Need(p, i, 4));
                    Need(p, i + 4, s4);
                    i += 4 + s4;
                    strings.Add(null);
                    break;
                case 'I' or 'L' or 'F' or 'S' or 'V' or 'P':
                    Line(p, ref i);
                    strings.Add(null);
                    break;
                default:
                    throw Bad(path, $"its pickle uses opcode 0x{(int)op:x2} at byte {i - 1}, which a plain state dict does not need");
            }
        }
        throw Bad(path, "its pickle has no STOP opcode (truncated?)");
    }

    static void Check(string path, string module, string name)
    {
        if (!Allowed.Contains(module + "." + name))
            throw Bad(path, $"its pickle would import '{module}.{name}', which is not part of a plain state dict (nothing was executed)");
    }

    static int Need(byte[] p, int at, int count) =>
        count < 0 || at + count > p.Length ? throw new InvalidDataException("The checkpoint's pickle is truncated; re-save it with torch.save(model.state_dict(), path).") : at;

    static string Line(byte[] p, ref int i)
    {
        var end = Array.IndexOf(p, (byte)'\n', i);
        if (end < 0) throw new InvalidDataException("The checkpoint's pickle is truncated; re-save it with torch.save(model.state_dict(), path).");
        var text = Encoding.UTF8.GetString(p, i, end - i);
        i = end + 1;
        return text;
    }

    static InvalidDataException Bad(string path, string what) =>
        new($"'{path}' was rejected: {what}. Save plain weights with torch.save(model.state_dict(), path) or as safetensors.");
}
