namespace ResNetSharp.Distributed;

/// <summary>
/// The few collective operations data-parallel training needs, over every process (rank) of a job. Every rank must
/// make the same calls in the same order with the same sizes; a call returns when all ranks have made it.
/// </summary>
public interface ICommunicator
{
    /// <summary>This process's rank, 0 … <see cref="Size"/> − 1; rank 0 writes the run folder.</summary>
    int Rank { get; }

    /// <summary>Number of ranks.</summary>
    int Size { get; }

    /// <summary>Replaces <paramref name="values"/> on every rank by their element-wise sum over all ranks.</summary>
    void AllReduceSum(Span<float> values);

    /// <summary>Replaces <paramref name="values"/> on every rank by their element-wise sum over all ranks.</summary>
    void AllReduceSum(Span<double> values);

    /// <summary>Copies <paramref name="root"/>'s <paramref name="bytes"/> into every other rank's (same length everywhere).</summary>
    void Broadcast(Span<byte> bytes, int root = 0);

    /// <summary>Copies <paramref name="root"/>'s <paramref name="values"/> into every other rank's (same length everywhere).</summary>
    void Broadcast(Span<float> values, int root = 0);

    /// <summary>Returns when every rank has called it.</summary>
    void Barrier();
}

/// <summary>A job of one process: every collective is the identity.</summary>
public sealed class SingleProcess : ICommunicator
{
    /// <summary>The one instance.</summary>
    public static SingleProcess Instance { get; } = new();

    SingleProcess()
    {
    }

    /// <inheritdoc />
    public int Rank => 0;

    /// <inheritdoc />
    public int Size => 1;

    /// <inheritdoc />
    public void AllReduceSum(Span<float> values)
    {
    }

    /// <inheritdoc />
    public void AllReduceSum(Span<double> values)
    {
    }

    /// <inheritdoc />
    public void Broadcast(Span<byte> bytes, int root = 0)
    {
    }

    /// <inheritdoc />
    public void Broadcast(Span<float> values, int root = 0)
    {
    }

    /// <inheritdoc />
    public void Barrier()
    {
    }
}

/// <summary>Helpers built from the collectives.</summary>
public static class CommunicatorExtensions
{
    /// <summary>True on every rank when <paramref name="mine"/> is true on at least one.</summary>
    public static bool Any(this ICommunicator comm, bool mine)
    {
        if (comm.Size == 1) return mine;
        Span<double> flag = [mine ? 1 : 0];
        comm.AllReduceSum(flag);
        return flag[0] > 0;
    }

    /// <summary>Rank 0's <paramref name="bytes"/> on every rank (other ranks pass anything, e.g. null; the length travels first).</summary>
    public static byte[] BroadcastBytes(this ICommunicator comm, byte[]? bytes)
    {
        if (comm.Size == 1) return bytes ?? [];
        Span<double> length = [comm.Rank == 0 ? bytes?.Length ?? 0 : 0];
        comm.AllReduceSum(length); // only rank 0 contributes
        var result = comm.Rank == 0 ? bytes ?? [] : new byte[(int)length[0]];
        comm.Broadcast(result);
        return result;
    }
}
