using System.Runtime.InteropServices;

namespace ResNetSharp.Runtime;

/// <summary>
/// The C library's environment, which native libraries read. .NET's <see cref="Environment.SetEnvironmentVariable(string, string)"/>
/// does not change it on Unix, so settings such as OpenMP's must go through libc before the library that reads them loads.
/// </summary>
static class NativeEnvironment
{
    [DllImport("libc.so.6", EntryPoint = "setenv")] static extern int SetEnv(string name, string value, int overwrite);
    [DllImport("libc.so.6", EntryPoint = "getenv")] static extern nint GetEnv(string name);

    /// <summary>Sets <paramref name="name"/> unless it is already set; false where there is no glibc.</summary>
    public static bool SetIfUnset(string name, string value)
    {
        if (!OperatingSystem.IsLinux()) return false;
        try
        {
            return SetEnv(name, value, 0) == 0;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return false;
        }
    }

    /// <summary>The C environment's value of <paramref name="name"/>, or null.</summary>
    public static string? Get(string name)
    {
        if (!OperatingSystem.IsLinux()) return Environment.GetEnvironmentVariable(name);
        try
        {
            return Marshal.PtrToStringUTF8(GetEnv(name));
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return Environment.GetEnvironmentVariable(name);
        }
    }
}
