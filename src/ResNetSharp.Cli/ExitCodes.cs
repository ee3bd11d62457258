using ResNetSharp.Data;
using ResNetSharp.Distributed;
using ResNetSharp.Evaluation;
using ResNetSharp.Runtime;
using ResNetSharp.Training;

namespace ResNetSharp.Cli;

/// <summary>
/// The one place that turns a failure into what the user sees: one line on stderr and a documented exit code
/// (README, "Exit codes"). A stack trace is printed only with --verbose.
/// </summary>
static class ExitCodes
{
    /// <summary>The command finished.</summary>
    public const int Done = 0;

    /// <summary>An unexpected internal error (a bug): rerun with --verbose and report it.</summary>
    public const int InternalError = 1;

    /// <summary>A user error: bad arguments, a missing or unreadable file, bad data, a run folder in use.</summary>
    public const int UserError = 2;

    /// <summary>The machine failed the command: disk full, no permission, an I/O error.</summary>
    public const int EnvironmentError = 3;

    /// <summary>Training diverged (NaN or infinite loss, weights or outputs), or a checkpoint gives non-finite outputs.</summary>
    public const int Diverged = 4;

    /// <summary>Stopped by SIGINT (Ctrl-C) after writing a checkpoint: 128 + 2.</summary>
    public const int Interrupted = 130;

    /// <summary>Stopped by SIGTERM after writing a checkpoint: 128 + 15.</summary>
    public const int Terminated = 143;

    /// <summary>The exit code and the one line to print for <paramref name="e"/>.</summary>
    public static (int Code, string Message) For(Exception e) => e switch
    {
        OperationCanceledException => (Signals.ExitCode ?? Interrupted, "interrupted before training started; nothing was written."),
        NonFiniteLossException or NonFiniteOutputException => (Diverged, e.Message),
        DiskFullException or RankHungException => (EnvironmentError, e.Message),
        RunFolderLockedException => (UserError, e.Message),
        MpiUnavailableException or RankMismatchException => (UserError, e.Message),
        ArgumentException a => (UserError, WithoutParameterName(a)),
        FileNotFoundException or DirectoryNotFoundException or InvalidDataException or ImageFolderException or TorchRuntimeException => (UserError, e.Message),
        UnauthorizedAccessException => (EnvironmentError, $"{e.Message} Check the permissions of that path."),
        IOException => (EnvironmentError, e.Message),
        OutOfMemoryException => (EnvironmentError, "Out of memory: use a smaller --batch-size or fewer --workers."),
        _ => (InternalError, $"unexpected {e.GetType().Name}: {e.Message} (rerun with --verbose for the stack trace, and report it)"),
    };

    /// <summary>ArgumentException appends "(Parameter 'x')" and "Actual value was …" lines meant for programmers.</summary>
    static string WithoutParameterName(ArgumentException e)
    {
        var line = e.Message.Split('\n')[0].TrimEnd();
        return e.ParamName is { } p && line.EndsWith($" (Parameter '{p}')", StringComparison.Ordinal) ? line[..^$" (Parameter '{p}')".Length] : line;
    }
}

/// <summary>Ctrl-C and SIGTERM ask the running command to stop cleanly; the exit code says which signal it was.</summary>
static class Signals
{
    static readonly CancellationTokenSource Source = new();
    static int? exitCode;

    /// <summary>Cancelled when SIGINT or SIGTERM arrives (after <see cref="Register"/>).</summary>
    public static CancellationToken Token => Source.Token;

    /// <summary>130 after SIGINT, 143 after SIGTERM, null while no signal came.</summary>
    public static int? ExitCode => exitCode;

    /// <summary>Handles SIGINT and SIGTERM from now on: the first one cancels <see cref="Token"/>, the process keeps running to write its checkpoint.</summary>
    public static IDisposable Register()
    {
        var registrations = new[]
        {
            System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGINT, c => Stop(c, ExitCodes.Interrupted)),
            System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGTERM, c => Stop(c, ExitCodes.Terminated)),
        };
        return new Registrations(registrations);
    }

    static void Stop(System.Runtime.InteropServices.PosixSignalContext context, int code)
    {
        context.Cancel = true;
        exitCode ??= code;
        Source.Cancel();
    }

    sealed class Registrations(IDisposable[] all) : IDisposable
    {
        public void Dispose()
        {
            foreach (var r in all) r.Dispose();
        }
    }
}
