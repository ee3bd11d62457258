using System.Globalization;
using System.Runtime.InteropServices;

namespace ResNetSharp.Distributed;

/// <summary>Thrown when a job asks for MPI (it was launched by mpirun) and Open MPI cannot be loaded.</summary>
public sealed class MpiUnavailableException(string message) : Exception(message);

/// <summary>Where this process stands in an mpirun job, read from the variables Open MPI's launcher sets.</summary>
/// <param name="Rank">OMPI_COMM_WORLD_RANK.</param>
/// <param name="Size">OMPI_COMM_WORLD_SIZE.</param>
/// <param name="LocalRank">OMPI_COMM_WORLD_LOCAL_RANK: rank among the processes on this machine.</param>
/// <param name="LocalSize">OMPI_COMM_WORLD_LOCAL_SIZE: processes on this machine (they share its cores).</param>
public sealed record MpiLaunch(int Rank, int Size, int LocalRank, int LocalSize)
{
    /// <summary>The launch this process is part of, or null when it was not started by Open MPI's mpirun.</summary>
    public static MpiLaunch? Current => FromEnvironment(Environment.GetEnvironmentVariable);

    /// <summary>Reads a launch from <paramref name="variable"/> (an environment lookup).</summary>
    public static MpiLaunch? FromEnvironment(Func<string, string?> variable)
    {
        int? Read(string name) => int.TryParse(variable(name), NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) ? v : null;
        if (Read("OMPI_COMM_WORLD_SIZE") is not { } size) return null;
        var rank = Read("OMPI_COMM_WORLD_RANK") ?? 0;
        return new MpiLaunch(rank, size, Read("OMPI_COMM_WORLD_LOCAL_RANK") ?? rank, Read("OMPI_COMM_WORLD_LOCAL_SIZE") ?? size);
    }

    /// <summary>Intra-op threads for this rank: the machine's cores shared among the ranks on it.</summary>
    public int ThreadsPerRank(int processorCount) => Math.Max(1, processorCount / Math.Max(1, LocalSize));
}

/// <summary>
/// A thin binding of Open MPI's C library (libmpi.so.40, Open MPI 3–5): initialise, rank and size, in-place
/// all-reduce of float and double buffers, broadcast, barrier, abort, finalise — over MPI_COMM_WORLD. Open MPI's
/// handles are the addresses of exported globals (ompi_mpi_comm_world, ompi_mpi_float, ompi_mpi_op_sum …) and
/// MPI_IN_PLACE is (void*)1. The library is opened with RTLD_GLOBAL, as Open MPI's plug-ins need its symbols.
/// The environment variable RESNETSHARP_MPI_LIBRARY names another libmpi file.
/// </summary>
public sealed unsafe class OpenMpi : ICommunicator
{
    /// <summary>The library file opened unless RESNETSHARP_MPI_LIBRARY names another.</summary>
    public const string DefaultLibrary = "libmpi.so.40";

    /// <summary>What a user installs to get it.</summary>
    public const string InstallHint = "install Open MPI (Debian/Ubuntu: sudo apt-get install openmpi-bin libopenmpi-dev)";

    const int ThreadSerialized = 2;
    static readonly Lock Gate = new();
    static OpenMpi? instance;

    readonly nint commWorld, typeFloat, typeDouble, typeByte, opSum;
    readonly delegate* unmanaged<void*, void*, int, nint, nint, nint, int> allreduce;
    readonly delegate* unmanaged<void*, int, nint, int, nint, int> bcast;
    readonly delegate* unmanaged<nint, int> barrier;
    readonly delegate* unmanaged<nint, int, int> abort;
    readonly delegate* unmanaged<int> finalize;
    bool finalized;

    OpenMpi(nint library)
    {
        nint Export(string name) => NativeLibrary.TryGetExport(library, name, out var address)
            ? address
            : throw new MpiUnavailableException($"The MPI library has no '{name}': it is not Open MPI. ResNetSharp binds Open MPI only; {InstallHint}.");
        commWorld = Export("ompi_mpi_comm_world");
        typeFloat = Export("ompi_mpi_float");
        typeDouble = Export("ompi_mpi_double");
        typeByte = Export("ompi_mpi_byte");
        opSum = Export("ompi_mpi_op_sum");
        allreduce = (delegate* unmanaged<void*, void*, int, nint, nint, nint, int>)Export("MPI_Allreduce");
        bcast = (delegate* unmanaged<void*, int, nint, int, nint, int>)Export("MPI_Bcast");
        barrier = (delegate* unmanaged<nint, int>)Export("MPI_Barrier");
        abort = (delegate* unmanaged<nint, int, int>)Export("MPI_Abort");
        finalize = (delegate* unmanaged<int>)Export("MPI_Finalize");
        var initialized = (delegate* unmanaged<int*, int>)Export("MPI_Initialized");
        var initThread = (delegate* unmanaged<int*, byte***, int, int*, int>)Export("MPI_Init_thread");
        var commRank = (delegate* unmanaged<nint, int*, int>)Export("MPI_Comm_rank");
        var commSize = (delegate* unmanaged<nint, int*, int>)Export("MPI_Comm_size");
        int flag = 0, provided = 0, rank = 0, size = 0;
        Check(initialized(&flag), "MPI_Initialized");
        if (flag == 0) Check(initThread(null, null, ThreadSerialized, &provided), "MPI_Init_thread");
        Check(commRank(commWorld, &rank), "MPI_Comm_rank");
        Check(commSize(commWorld, &size), "MPI_Comm_size");
        Rank = rank;
        Size = size;
    }

    /// <summary>
    /// Initialises MPI once per process (later calls return the same instance) and returns MPI_COMM_WORLD.
    /// Fails with <see cref="MpiUnavailableException"/> naming what to install when Open MPI is missing.
    /// </summary>
    public static OpenMpi Initialize()
    {
        lock (Gate)
        {
            if (instance is not null) return instance;
            var path = Environment.GetEnvironmentVariable("RESNETSHARP_MPI_LIBRARY") is { Length: > 0 } custom ? custom : DefaultLibrary;
            var library = OpenGlobal(path, out var error);
            if (library == 0)
                throw new MpiUnavailableException($"This process was started by mpirun but Open MPI's library {path} could not be loaded ({error}); {InstallHint}.");
            return instance = new OpenMpi(library);
        }
    }

    /// <inheritdoc />
    public int Rank { get; }

    /// <inheritdoc />
    public int Size { get; }

    /// <inheritdoc />
    public void AllReduceSum(Span<float> values)
    {
        fixed (float* p = values) Check(allreduce((void*)1, p, values.Length, typeFloat, opSum, commWorld), "MPI_Allreduce");
    }

    /// <inheritdoc />
    public void AllReduceSum(Span<double> values)
    {
        fixed (double* p = values) Check(allreduce((void*)1, p, values.Length, typeDouble, opSum, commWorld), "MPI_Allreduce");
    }

    /// <inheritdoc />
    public void Broadcast(Span<byte> bytes, int root = 0)
    {
        fixed (byte* p = bytes) Check(bcast(p, bytes.Length, typeByte, root, commWorld), "MPI_Bcast");
    }

    /// <inheritdoc />
    public void Broadcast(Span<float> values, int root = 0)
    {
        fixed (float* p = values) Check(bcast(p, values.Length, typeFloat, root, commWorld), "MPI_Bcast");
    }

    /// <inheritdoc />
    public void Barrier() => Check(barrier(commWorld), "MPI_Barrier");

    /// <summary>Ends every rank of the job with <paramref name="code"/> (mpirun reports the rank that called it).</summary>
    public void Abort(int code) => abort(commWorld, code);

    /// <summary>Shuts MPI down; every rank calls it once at a clean end (a rank that fails skips it, so mpirun ends the job).</summary>
    public void Shutdown()
    {
        lock (Gate)
        {
            if (finalized) return;
            finalized = true;
            Check(finalize(), "MPI_Finalize");
        }
    }

    static void Check(int code, string call)
    {
        // the default error handler aborts the job first; this catches handlers set otherwise
        if (code != 0) throw new IOException($"{call} failed with MPI error {code}.");
    }

    static nint OpenGlobal(string path, out string error)
    {
        const int RtldNow = 0x2, RtldGlobal = 0x100;
        error = "";
        if (!OperatingSystem.IsLinux())
        {
            error = "MPI training is supported on Linux";
            return 0;
        }
        var libc = NativeLibrary.Load("libc.so.6");
        var dlopen = (delegate* unmanaged<byte*, int, nint>)NativeLibrary.GetExport(libc, "dlopen");
        var dlerror = (delegate* unmanaged<byte*>)NativeLibrary.GetExport(libc, "dlerror");
        var name = System.Text.Encoding.UTF8.GetBytes(path + "\0");
        fixed (byte* p = name)
        {
            var handle = dlopen(p, RtldNow | RtldGlobal);
            if (handle == 0) error = Marshal.PtrToStringUTF8((nint)dlerror()) ?? "not found";
            return handle;
        }
    }
}
