using System.Runtime.InteropServices;

namespace ResNetSharp.Runtime;

/// <summary>
/// glibc allocator settings. With the defaults, every large tensor is an mmap that is unmapped on
/// free and faulted back in on the next step (tens of thousands of page faults per training step);
/// keeping freed memory in the heap removes that cost.
/// </summary>
public static class NativeAllocator
{
    const int MTrimThreshold = -1, MMmapMax = -4;

    [DllImport("libc.so.6")] static extern int mallopt(int param, int value);

    /// <summary>Stops glibc from serving large blocks with mmap and from trimming the heap. False where not glibc.</summary>
    public static bool KeepFreedMemory()
    {
        if (!OperatingSystem.IsLinux()) return false;
        try
        {
            return mallopt(MMmapMax, 0) == 1 & mallopt(MTrimThreshold, int.MaxValue) == 1;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return false; // musl and other C libraries: nothing to tune
        }
    }
}
