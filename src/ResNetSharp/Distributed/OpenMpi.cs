using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;

namespace ResNetSharp.Distributed;

/// <summary>Thrown when a job asks for MPI (it was launched by mpirun) and Open MPI cannot be loaded.</summary>
public sealed class MpiUnavailableException(string message) : Exception(message);

/// <summary>
/// Thrown on the ranks that waited when another rank did not reach a collective operation within the time allowed
/// (<see cref="OpenMpi.DetectHangs"/>): that rank is hung or stopped. The message names it and the iterations.
/// </summary>
/// <param name="message">Which rank did not arrive, where, and when it was last heard of.</param>
/// <param name="missing">The ranks that did not arrive.</param>
public sealed class RankHungException(string message, IReadOnlyList<int> missing) : Exception(message)
{
    /// <summary>The ranks that did not reach the collective in time.</summary>
    public IReadOnlyList<int> Missing { get; } = missing;
}

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
    const int HandshakeTag = 0x5253;
    static readonly Lock Gate = new();
    static OpenMpi? instance;

    readonly nint commWorld, typeFloat, typeDouble, typeByte, opSum;
    readonly delegate* unmanaged<void*, void*, int, nint, nint, nint, int> allreduce;
    readonly delegate* unmanaged<void*, int, nint, int, nint, int> bcast;
    readonly delegate* unmanaged<nint, int> barrier;
    readonly delegate* unmanaged<nint, int, int> abort;
    readonly delegate* unmanaged<int> finalize;
    readonly delegate* unmanaged<void*, int, nint, int, int, nint, nint*, int> isend, irecv;
    readonly delegate* unmanaged<nint*, int*, void*, int> test;
    readonly delegate* unmanaged<void*, void*, int, nint, nint, nint, nint*, int> iallreduce;
    readonly delegate* unmanaged<void*, int, nint, int, nint, nint*, int> ibcast;
    readonly delegate* unmanaged<nint, nint*, int> ibarrier;
    bool finalized;

    // hang detection: before each collective every rank sends the others its iteration and waits for theirs, at most
    // hangTimeout; the buffers live in native memory because the operations complete after the calls that start them
    TimeSpan? hangTimeout;
    double* handshakeSend, handshakeReceived;
    nint* handshakeRequests;
    double[] lastHeard = [];

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
        isend = (delegate* unmanaged<void*, int, nint, int, int, nint, nint*, int>)Export("MPI_Isend");
        irecv = (delegate* unmanaged<void*, int, nint, int, int, nint, nint*, int>)Export("MPI_Irecv");
        test = (delegate* unmanaged<nint*, int*, void*, int>)Export("MPI_Test");
        iallreduce = (delegate* unmanaged<void*, void*, int, nint, nint, nint, nint*, int>)Export("MPI_Iallreduce");
        ibcast = (delegate* unmanaged<void*, int, nint, int, nint, nint*, int>)Export("MPI_Ibcast");
        ibarrier = (delegate* unmanaged<nint, nint*, int>)Export("MPI_Ibarrier");
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
        fixed (float* p = values) AllReduce(p, values.Length, typeFloat);
    }

    /// <inheritdoc />
    public void AllReduceSum(Span<double> values)
    {
        fixed (double* p = values) AllReduce(p, values.Length, typeDouble);
    }

    /// <inheritdoc />
    public void Broadcast(Span<byte> bytes, int root = 0)
    {
        fixed (byte* p = bytes) Bcast(p, bytes.Length, typeByte, root);
    }

    /// <inheritdoc />
    public void Broadcast(Span<float> values, int root = 0)
    {
        fixed (float* p = values) Bcast(p, values.Length, typeFloat, root);
    }

    /// <inheritdoc />
    public void Barrier()
    {
        if (hangTimeout is not { } timeout)
        {
            Check(barrier(commWorld), "MPI_Barrier");
            return;
        }
        Handshake("MPI_Barrier", timeout);
        nint request;
        Check(ibarrier(commWorld, &request), "MPI_Ibarrier");
        Complete(&request, "MPI_Barrier", timeout);
    }

    // Without hang detection the blocking calls; with it, every rank first shows it reached the call (naming the
    // ranks that did not), then the non-blocking form is polled until it completes, so a rank stopped inside the
    // operation cannot keep the others waiting for ever either.
    void AllReduce(void* values, int count, nint type)
    {
        if (hangTimeout is not { } timeout)
        {
            Check(allreduce((void*)1, values, count, type, opSum, commWorld), "MPI_Allreduce");
            return;
        }
        Handshake("MPI_Allreduce", timeout);
        nint request;
        Check(iallreduce((void*)1, values, count, type, opSum, commWorld, &request), "MPI_Iallreduce");
        Complete(&request, "MPI_Allreduce", timeout);
    }

    void Bcast(void* values, int count, nint type, int root)
    {
        if (hangTimeout is not { } timeout)
        {
            Check(bcast(values, count, type, root, commWorld), "MPI_Bcast");
            return;
        }
        Handshake("MPI_Bcast", timeout);
        nint request;
        Check(ibcast(values, count, type, root, commWorld, &request), "MPI_Ibcast");
        Complete(&request, "MPI_Bcast", timeout);
    }

    void Complete(nint* request, string call, TimeSpan timeout)
    {
        var start = Stopwatch.GetTimestamp();
        while (true)
        {
            var flag = 0;
            Check(test(request, &flag, null), "MPI_Test"); // MPI_STATUS_IGNORE is NULL in Open MPI
            if (flag != 0) return;
            var waited = Stopwatch.GetElapsedTime(start);
            if (waited > timeout)
            {
                List<int> others = [.. Enumerable.Range(0, Size).Where(r => r != Rank)];
                var who = others.Count == 1 ? $"rank {others[0]}" : $"one of ranks {string.Join(", ", others)}";
                throw new RankHungException(
                    $"the {call} of iteration {Iteration} did not complete within {timeout.TotalSeconds:0.#} s although every rank had reached it: " +
                    $"{who} stopped during it, or the network between the ranks failed. Ending the job; the last checkpoint in the run folder is intact.", others);
            }
            Pause(waited);
        }
    }

    // the other ranks are usually a few milliseconds away: yield the core to them; poll less once clearly behind
    static void Pause(TimeSpan waited)
    {
        if (waited < TimeSpan.FromMilliseconds(100)) Thread.Yield();
        else Thread.Sleep(1);
    }

    /// <summary>The training iteration this rank is at, which hang messages report (the trainer's observer sets it).</summary>
    public long Iteration { get; set; }

    /// <summary>
    /// From now on, before every collective operation each rank tells the others its <see cref="Iteration"/> and waits
    /// for theirs at most <paramref name="timeout"/>; when a rank does not arrive in time, the ranks that waited throw
    /// <see cref="RankHungException"/> naming it, and leaving without MPI_Finalize ends the job (mpirun stops the rest).
    /// A rank that dies is reported by mpirun itself; this catches one that hangs or is stopped (SIGSTOP). Every rank
    /// must call it at the same point of the sequence of collectives (the trainer arms it after the first step). The
    /// check costs one small message each way per collective.
    /// </summary>
    public void DetectHangs(TimeSpan timeout)
    {
        if (timeout <= TimeSpan.Zero) throw new ArgumentException($"The hang timeout must be positive (got {timeout.TotalSeconds} s).");
        lock (Gate)
        {
            if (handshakeSend == null)
            {
                handshakeSend = (double*)NativeMemory.AllocZeroed(sizeof(double));
                handshakeReceived = (double*)NativeMemory.AllocZeroed((nuint)(Size * sizeof(double)));
                handshakeRequests = (nint*)NativeMemory.AllocZeroed((nuint)(2 * Size * sizeof(nint)));
                lastHeard = new double[Size];
                Array.Fill(lastHeard, double.NaN);
            }
            hangTimeout = timeout;
        }
    }

    void Handshake(string call, TimeSpan timeout)
    {
        if (Size == 1) return;
        var peers = Size - 1;
        *handshakeSend = Iteration;
        for (int r = 0, k = 0; r < Size; r++)
        {
            if (r == Rank) continue;
            Check(irecv(handshakeReceived + r, 1, typeDouble, r, HandshakeTag, commWorld, handshakeRequests + k), "MPI_Irecv");
            Check(isend(handshakeSend, 1, typeDouble, r, HandshakeTag, commWorld, handshakeRequests + peers + k), "MPI_Isend");
            k++;
        }
        var start = Stopwatch.GetTimestamp();
        Span<bool> done = stackalloc bool[2 * peers];
        while (true)
        {
            var all = true;
            for (var i = 0; i < done.Length; i++)
            {
                if (done[i]) continue;
                var flag = 0;
                Check(test(handshakeRequests + i, &flag, null), "MPI_Test"); // MPI_STATUS_IGNORE is NULL in Open MPI
                done[i] = flag != 0;
                all &= done[i];
            }
            if (all) break;
            var waited = Stopwatch.GetElapsedTime(start);
            if (waited > timeout) throw Hung(call, timeout, done[..peers]);
            Pause(waited);
        }
        for (var r = 0; r < Size; r++)
            if (r != Rank) lastHeard[r] = handshakeReceived[r];
    }

    RankHungException Hung(string call, TimeSpan timeout, ReadOnlySpan<bool> received)
    {
        var missing = new List<int>();
        for (int r = 0, k = 0; r < Size; r++)
        {
            if (r == Rank) continue;
            if (!received[k]) missing.Add(r);
            k++;
        }
        var heard = string.Join(", ", missing.Select(r => double.IsNaN(lastHeard[r])
            ? $"rank {r} not heard of since hang detection started"
            : $"rank {r} last heard of at iteration {lastHeard[r]:0}"));
        var who = missing.Count == 1 ? $"rank {missing[0]}" : $"ranks {string.Join(", ", missing)}";
        return new RankHungException(
            $"{who} did not reach the next {call} of iteration {Iteration} within {timeout.TotalSeconds:0.#} s ({heard}): it is hung or stopped. " +
            "Ending the job; the last checkpoint in the run folder is intact.", missing);
    }

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
