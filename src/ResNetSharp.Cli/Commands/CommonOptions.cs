using System.CommandLine;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
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

    public static readonly Option<bool> Json = new("--json") { Description = "Print JSON for machines instead of tables." };

    public static readonly JsonSerializerOptions JsonOptions = new()
    {
        WriteIndented = true,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        Converters = { new JsonStringEnumConverter() },
    };

    /// <summary>
    /// Runs a command body with libtorch loaded; known user errors print one clear line and exit 2,
    /// anything else prints the exception and exits 1.
    /// </summary>
    public static int Run(ParseResult parse, Func<int> body)
    {
        try
        {
            TorchRuntime.EnsureLoaded(new RuntimeOptions { Threads = parse.GetValue(Threads) });
            return body();
        }
        catch (Exception e) when (e is ArgumentException or FileNotFoundException or DirectoryNotFoundException or InvalidDataException or TorchRuntimeException)
        {
            AnsiConsole.Console.Profile.Out.Writer.Flush();
            Console.Error.WriteLine($"error: {e.Message}");
            return 2;
        }
    }

    public static void WriteJson<T>(T value) => Console.Out.WriteLine(JsonSerializer.Serialize(value, JsonOptions));
}
