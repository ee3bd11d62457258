using System.Buffers.Binary;
using System.Text;

namespace ResNetSharp.Runtime;

/// <summary>
/// Reads and edits the version requirements (<c>.gnu.version_r</c>) of a 64-bit little-endian ELF
/// shared library. Used to make a library that was linked against a newer libstdc++ load on a
/// system whose libstdc++ lacks a version the library names but never binds a symbol from.
/// </summary>
public static class ElfVersionNeeds
{
    const uint ShtGnuVerneed = 0x6ffffffe;

    /// <summary>The <c>VER_FLG_WEAK</c> flag: a missing version is then not a load error.</summary>
    public const ushort WeakFlag = 0x2;

    /// <summary>One required version: the library file that must provide it, its name, its flags and where its entry sits.</summary>
    public readonly record struct Requirement(string File, string Version, ushort Flags, int EntryOffset)
    {
        public bool IsWeak => (Flags & WeakFlag) != 0;
    }

    /// <summary>Lists every version requirement of the ELF image.</summary>
    public static IReadOnlyList<Requirement> Read(ReadOnlySpan<byte> elf)
    {
        var (verneed, verneedSize, dynstr) = FindSections(elf);
        var result = new List<Requirement>();
        if (verneed < 0) return result;
        var need = verneed;
        while (true)
        {
            CheckRange(elf, need, 16);
            var count = U16(elf, need + 2);
            var file = CString(elf, dynstr + (int)U32(elf, need + 4));
            var aux = need + (int)U32(elf, need + 8);
            for (var i = 0; i < count; i++)
            {
                CheckRange(elf, aux, 16);
                var flags = U16(elf, aux + 4);
                var name = CString(elf, dynstr + (int)U32(elf, aux + 8));
                result.Add(new Requirement(file, name, flags, aux));
                var nextAux = (int)U32(elf, aux + 12);
                if (nextAux == 0) break;
                aux += nextAux;
            }
            var next = (int)U32(elf, need + 12);
            if (next == 0 || need + next >= verneed + verneedSize) break;
            need += next;
        }
        return result;
    }

    /// <summary>
    /// Sets the weak flag on every requirement that <paramref name="makeWeak"/> selects, in place.
    /// Returns the requirements that were changed.
    /// </summary>
    public static IReadOnlyList<Requirement> MarkWeak(Span<byte> elf, Func<Requirement, bool> makeWeak)
    {
        var changed = new List<Requirement>();
        foreach (var r in Read(elf))
        {
            if (r.IsWeak || !makeWeak(r)) continue;
            BinaryPrimitives.WriteUInt16LittleEndian(elf[(r.EntryOffset + 4)..], (ushort)(r.Flags | WeakFlag));
            changed.Add(r);
        }
        return changed;
    }

    /// <summary>The version names a library defines (its <c>.gnu.version_d</c> names, found as strings in its image).</summary>
    public static bool DefinesVersion(ReadOnlySpan<byte> library, string version)
    {
        Span<byte> needle = stackalloc byte[version.Length + 2];
        needle[0] = 0;
        Encoding.ASCII.GetBytes(version, needle[1..]);
        needle[^1] = 0;
        return library.IndexOf(needle) >= 0;
    }

    static (int Verneed, int VerneedSize, int Dynstr) FindSections(ReadOnlySpan<byte> elf)
    {
        if (elf.Length < 64 || elf[0] != 0x7f || elf[1] != (byte)'E' || elf[2] != (byte)'L' || elf[3] != (byte)'F')
            throw new InvalidDataException("Not an ELF file.");
        if (elf[4] != 2 || elf[5] != 1)
            throw new InvalidDataException("Only 64-bit little-endian ELF files are supported.");
        var shoff = checked((int)BinaryPrimitives.ReadUInt64LittleEndian(elf[0x28..]));
        var shentsize = U16(elf, 0x3A);
        var shnum = U16(elf, 0x3C);
        for (var i = 0; i < shnum; i++)
        {
            var sh = shoff + i * shentsize;
            CheckRange(elf, sh, 64);
            if (U32(elf, sh + 4) != ShtGnuVerneed) continue;
            var offset = checked((int)BinaryPrimitives.ReadUInt64LittleEndian(elf[(sh + 0x18)..]));
            var size = checked((int)BinaryPrimitives.ReadUInt64LittleEndian(elf[(sh + 0x20)..]));
            var link = (int)U32(elf, sh + 0x28);
            var strSh = shoff + link * shentsize;
            CheckRange(elf, strSh, 64);
            var dynstr = checked((int)BinaryPrimitives.ReadUInt64LittleEndian(elf[(strSh + 0x18)..]));
            return (offset, size, dynstr);
        }
        return (-1, 0, -1);
    }

    static ushort U16(ReadOnlySpan<byte> b, int at) => BinaryPrimitives.ReadUInt16LittleEndian(b[at..]);
    static uint U32(ReadOnlySpan<byte> b, int at) => BinaryPrimitives.ReadUInt32LittleEndian(b[at..]);

    static void CheckRange(ReadOnlySpan<byte> b, int at, int length)
    {
        if (at < 0 || at + length > b.Length) throw new InvalidDataException($"ELF structure points outside the file (offset {at}).");
    }

    static string CString(ReadOnlySpan<byte> b, int at)
    {
        CheckRange(b, at, 1);
        var end = b[at..].IndexOf((byte)0);
        if (end < 0) throw new InvalidDataException("Unterminated ELF string.");
        return Encoding.ASCII.GetString(b.Slice(at, end));
    }
}
