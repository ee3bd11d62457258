using System.Diagnostics;

namespace ResNetSharp.Tests.Cli;

/// <summary>Runs the built <c>resnet</c> command as a separate process, as a user would.</summary>
static class CliRunner
{
    public sealed record Result(int ExitCode, string Stdout, string Stderr);

    public static Result Run(params string[] args)
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "resnet.dll");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(dll);
        foreach (var a in args) start.ArgumentList.Add(a);
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(5)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"resnet {string.Join(' ', args)} did not finish in 5 minutes.");
        }
        return new Result(process.ExitCode, stdout.Result, stderr.Result);
    }
}
