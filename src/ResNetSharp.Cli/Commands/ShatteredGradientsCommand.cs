using System.CommandLine;
using ResNetSharp.Reproduce;
using Spectre.Console;

namespace ResNetSharp.Cli.Commands;

/// <summary>
/// <c>resnet reproduce shattered-gradients [--seeds K] [--out DIR] [--data PATH] [--data-dir DIR] [--plan]</c>: an analysis
/// at initialisation (no training), so it bypasses the trained-experiment runner.
/// </summary>
static class ShatteredGradientsCommand
{
    /// <summary>Runs the analysis for <c>reproduce</c>; <paramref name="seeds"/> is null when --seeds was not given (the analysis' defaults).</summary>
    public static int Run(string? folder, int? seeds, string? data, string? dataDir, bool planOnly, bool json)
    {
        var defaults = new ShatteredGradientsOptions();
        if (seeds is < 1) throw new ArgumentException($"--seeds must be at least 1 (got {seeds}).");
        var options = defaults with
        {
            Sweep = seeds is { } k ? defaults.Sweep with { Inits = k } : defaults.Sweep,
            CifarInits = seeds ?? defaults.CifarInits,
            Data = data ?? defaults.Data,
            DataDir = dataDir,
        };
        folder ??= Path.Combine("reproduce", ShatteredGradientsAnalysis.Name);
        var plan = ShatteredGradientsAnalysis.Plan(options);
        if (planOnly)
        {
            if (json)
            {
                CommonOptions.WriteJson(new { Experiment = ShatteredGradientsAnalysis.Name, ShatteredGradientsAnalysis.Title, Out = folder, Training = false, Plan = plan });
                return 0;
            }
            AnsiConsole.MarkupLine($"[bold]{ShatteredGradientsAnalysis.Name}[/]: {Markup.Escape(ShatteredGradientsAnalysis.Title)}");
            foreach (var line in plan) AnsiConsole.MarkupLine($"- {Markup.Escape(line)}");
            AnsiConsole.MarkupLine($"output: {Markup.Escape(folder)} (report.md and PNGs)");
            return 0;
        }
        var result = ShatteredGradientsAnalysis.Measure(options, line => AnsiConsole.MarkupLine($"[grey]{Markup.Escape(line)}[/]"));
        var report = ShatteredGradientsAnalysis.Write(folder, result, Provenance.Current());
        AnsiConsole.MarkupLine($"Report: [bold]{Markup.Escape(report)}[/]");
        return 0;
    }
}
