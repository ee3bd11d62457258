using System.Buffers.Binary;
using System.Text;
using ResNetSharp.Runtime;

namespace ResNetSharp.Tests.Runtime;

public sealed class ElfVersionNeedsTests
{
    /// <summary>A minimal ELF image: a header, two section headers (.dynstr, .gnu.version_r) and one library needing two versions.</summary>
    static byte[] TinyElf()
    {
        var strings = Encoding.ASCII.GetBytes("\0libstdc++.so.6\0GLIBCXX_3.4.30\0GLIBCXX_3.4.32\0");
        const int fileName = 1, oldVersion = 16, newVersion = 31;
        const int strOff = 64, needOff = 128, shOff = 256;
        var elf = new byte[shOff + 3 * 64];
        elf[0] = 0x7f; elf[1] = (byte)'E'; elf[2] = (byte)'L'; elf[3] = (byte)'F'; elf[4] = 2; elf[5] = 1;
        BinaryPrimitives.WriteUInt64LittleEndian(elf.AsSpan(0x28), shOff);
        BinaryPrimitives.WriteUInt16LittleEndian(elf.AsSpan(0x3A), 64);
        BinaryPrimitives.WriteUInt16LittleEndian(elf.AsSpan(0x3C), 3);
        strings.CopyTo(elf, strOff);
        // Verneed: version 1, two entries, file name, aux at +16, no next.
        var n = elf.AsSpan(needOff);
        BinaryPrimitives.WriteUInt16LittleEndian(n, 1);
        BinaryPrimitives.WriteUInt16LittleEndian(n[2..], 2);
        BinaryPrimitives.WriteUInt32LittleEndian(n[4..], fileName);
        BinaryPrimitives.WriteUInt32LittleEndian(n[8..], 16);
        // Vernaux 1 and 2.
        BinaryPrimitives.WriteUInt32LittleEndian(n[24..], oldVersion);
        BinaryPrimitives.WriteUInt32LittleEndian(n[28..], 16);
        BinaryPrimitives.WriteUInt32LittleEndian(n[40..], newVersion);
        // Section 1: .dynstr; section 2: .gnu.version_r linked to section 1.
        var s1 = elf.AsSpan(shOff + 64);
        BinaryPrimitives.WriteUInt32LittleEndian(s1[4..], 3);
        BinaryPrimitives.WriteUInt64LittleEndian(s1[0x18..], strOff);
        var s2 = elf.AsSpan(shOff + 128);
        BinaryPrimitives.WriteUInt32LittleEndian(s2[4..], 0x6ffffffe);
        BinaryPrimitives.WriteUInt64LittleEndian(s2[0x18..], needOff);
        BinaryPrimitives.WriteUInt64LittleEndian(s2[0x20..], 48);
        BinaryPrimitives.WriteUInt32LittleEndian(s2[0x28..], 1);
        return elf;
    }

    [Fact]
    public void Should_Read_Every_Version_Requirement()
    {
        var needs = ElfVersionNeeds.Read(TinyElf());

        Assert.Equal(["GLIBCXX_3.4.30", "GLIBCXX_3.4.32"], needs.Select(r => r.Version));
        Assert.All(needs, r => Assert.Equal("libstdc++.so.6", r.File));
        Assert.All(needs, r => Assert.False(r.IsWeak));
    }

    [Fact]
    public void Should_Mark_Only_The_Selected_Requirement_Weak()
    {
        var elf = TinyElf();

        var changed = ElfVersionNeeds.MarkWeak(elf, r => r.Version == "GLIBCXX_3.4.32");

        Assert.Equal("GLIBCXX_3.4.32", Assert.Single(changed).Version);
        var after = ElfVersionNeeds.Read(elf);
        Assert.False(after[0].IsWeak);
        Assert.True(after[1].IsWeak);
    }

    [Fact]
    public void Should_Reject_A_File_That_Is_Not_Elf()
    {
        Assert.Throws<InvalidDataException>(() => ElfVersionNeeds.Read(new byte[100]));
    }

    [Fact]
    public void Should_Find_A_Version_Name_Only_As_A_Whole_String()
    {
        var lib = Encoding.ASCII.GetBytes("\0GLIBCXX_3.4.30\0CXXABI_1.3\0");

        Assert.True(ElfVersionNeeds.DefinesVersion(lib, "GLIBCXX_3.4.30"));
        Assert.False(ElfVersionNeeds.DefinesVersion(lib, "GLIBCXX_3.4.3"));
        Assert.False(ElfVersionNeeds.DefinesVersion(lib, "GLIBCXX_3.4.32"));
    }
}
