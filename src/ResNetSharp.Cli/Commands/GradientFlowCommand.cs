using System.Diagnostics;
using ResNetSharp.Analysis;
using ResNetSharp.Reproduce;
using Spectre.Console;

namespace ResNetSharp.Cli.Commands;

/// <summary><c>resnet reproduce gradient-flow [--depths 20,32,...] [--data PATH] [--out DIR] [--plan]</c>: an analysis at initialisation, no training.</summary>
static class GradientFlowCommand
{
    public static int Run(string? data, string? output, string? depths, int? batch, bool planOnly, bool json)
    {
        var defaults = new GradientFlowOptions();
        var options = new GradientFlowOptions { Depths = depths is null ? defaults.Depths : ParseDepths(depths), Images = batch ?? defaults.Images }.Validate();
        var folder = output ?? Path.Combine("reproduce", GradientFlow.ExperimentName);
        var networks = options.Networks();
        if (planOnly)
        {
            if (json)
            {
                CommonOptions.WriteJson(new { Experiment = GradientFlow.ExperimentName, Out = folder, Training = false, options.Images, Networks = networks.Select(n => new { n.Network, n.ZeroInitResidual }) });
                return 0;
            }
            AnsiConsole.MarkupLine($"[bold]{GradientFlow.ExperimentName}[/]: gradient norm at each unit's input at initialisation, shortcut × λ — [bold]no training needed[/]");
            AnsiConsole.MarkupLine($"networks at the paper's init ({networks.Count(n => !n.ZeroInitResidual)}): {Markup.Escape(string.Join(", ", networks.Where(n => !n.ZeroInitResidual).Select(n => n.Network)))}");
            AnsiConsole.MarkupLine($"and with residual branches at zero ({networks.Count(n => n.ZeroInitResidual)}): {Markup.Escape(string.Join(", ", networks.Where(n => n.ZeroInitResidual).Select(n => n.Network)))}");
            AnsiConsole.MarkupLine($"one forward and backward pass each on {options.Images} images ({Markup.Escape(data ?? "the embedded CIFAR-10 sample")}); minutes on a CPU");
            AnsiConsole.MarkupLine($"output: {Markup.Escape(folder)} (report.md, {GradientFlowReport.CurvesFigure}, {GradientFlowReport.ZeroInitCurvesFigure}, {GradientFlowReport.SlopesFigure})");
            return 0;
        }
        var clock = Stopwatch.StartNew();
        var (images, labels, source) = GradientFlow.CifarBatch(data, options.Images);
        using (images)
        using (labels)
        {
            var curves = GradientFlow.Run(options, images, labels, network => AnsiConsole.MarkupLine($"[grey]measuring {Markup.Escape(network)} ({clock.Elapsed.TotalSeconds:0} s)[/]"));
            var result = new GradientFlowResult(options, source, curves, clock.Elapsed.TotalSeconds);
            var path = GradientFlowReport.Write(folder, result, Provenance.Current());
            AnsiConsole.MarkupLine($"Report: [bold]{Markup.Escape(path)}[/]");
        }
        return 0;
    }

    static int[] ParseDepths(string text) =>
    [
        .. text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(t => int.TryParse(t, out var d)
            ? d
            : throw new ArgumentException($"--depths takes CIFAR depths 6n+2 separated by commas, e.g. 20,32,44,56,110; '{t}' is not a number.")),
    ];
}
