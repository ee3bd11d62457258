using System.CommandLine;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using ResNetSharp.Distributed;
using ResNetSharp.Runtime;
using Spectre.Console;

namespace ResNetSharp.Cli.Commands;

/// <summary>Options and plumbing shared by every command.</summary>
static class CommonOptions
{
    public static readonly Option<int?> Threads = new("--threads")
    {
        Description = "Intra-op threads for libtorch (default: one per physical core).",
        Recursive = true,
    };

    public static readonly Option<bool> Verbose = new("--verbose")
    {
        Description = "Print the stack trace of a failure (for bug reports).",
        Recursive = true,
    };

    /// <summary>--precision for commands that run a trained network (eval, predict, features).</summary>
    public static Option<Models.Precision> Precision() => new("--precision")
    {
        Description = "fp32, bf16 (bf16 products on the fp32 weights) or auto (bf16 only where this CPU runs it natively, measured faster and correct; cached per CPU).",
        DefaultValueFactory = _ => Models.Precision.Fp32,
    };

    public static readonly Option<bool> Json = new("--json") { Description = "Print JSON for machines instead of tables." };

    public static readonly JsonSerializerOptions JsonOptions = new()
    {
        WriteIndented = true,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        Converters = { new JsonStringEnumConverter() },
    };

    /// <summary>
    /// Runs a command body with libtorch loaded; any failure prints one line (<see cref="ExitCodes.For"/>) and
    /// returns its exit code, with the stack trace only under --verbose.
    /// </summary>
    public static int Run(ParseResult parse, Func<int> body)
    {
        try
        {
            if (parse.GetValue(Threads) is < 1 and var t)
                throw new ArgumentException($"--threads must be at least 1 (got {t}); leave it out for one thread per physical core.");
            // ranks started by mpirun on one machine share its cores
            TorchRuntime.EnsureLoaded(new RuntimeOptions { Threads = parse.GetValue(Threads) ?? MpiLaunch.Current?.ThreadsPerRank(Environment.ProcessorCount) });
            return body();
        }
        catch (Exception e)
        {
            return Fail(e, parse.GetValue(Verbose));
        }
    }

    /// <summary>Prints <paramref name="e"/> as one line (and its stack trace if <paramref name="verbose"/>) and returns its exit code.</summary>
    public static int Fail(Exception e, bool verbose)
    {
        var (code, message) = ExitCodes.For(e);
        AnsiConsole.Console.Profile.Out.Writer.Flush();
        Console.Out.Flush();
        var rank = MpiLaunch.Current is { Size: > 1 } launch ? $"rank {launch.Rank}: " : ""; // which process of an mpirun job failed
        Console.Error.WriteLine($"error: {rank}{message.ReplaceLineEndings(" ")}");
        if (verbose) Console.Error.WriteLine(e);
        return code;
    }

    public static void WriteJson<T>(T value) => Console.Out.WriteLine(JsonSerializer.Serialize(value, JsonOptions));
}
