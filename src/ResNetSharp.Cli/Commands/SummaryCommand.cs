using System.CommandLine;
using ResNetSharp.Models;
using Spectre.Console;

namespace ResNetSharp.Cli.Commands;

/// <summary><c>resnet summary &lt;name&gt;</c>: the paper's Table 1 for one network, per stage and optionally per layer.</summary>
static class SummaryCommand
{
    public static Command Create()
    {
        var name = new Argument<string>("name") { Description = "Network name, e.g. resnet50, resnet56, plain-34, preact-resnet164 (see 'resnet models')." };
        var input = new Option<int?>("--input") { Description = "Input side length (default: 224 ImageNet, 32 CIFAR)." };
        var shortcut = new Option<ShortcutOption?>("--shortcut") { Description = "Shortcut option A, B or C (section 3.3)." };
        var plain = new Option<bool>("--plain") { Description = "The plain baseline: no shortcuts." };
        var preact = new Option<bool>("--preact") { Description = "Pre-activation units (Identity Mappings)." };
        var strideOn = new Option<string?>("--stride-on") { Description = "Bottleneck stride on the '1x1' (paper) or the '3x3' (torchvision v1.5)." };
        strideOn.AcceptOnlyFromAmong("1x1", "3x3");
        var classes = new Option<int?>("--classes") { Description = "Classifier outputs." };
        var layers = new Option<bool>("--layers") { Description = "Also list every layer." };
        var command = new Command("summary", "Per-stage table like the paper's Table 1: output shape, parameters, multiply-adds; totals at the bottom.")
        {
            name, input, shortcut, plain, preact, strideOn, classes, layers, CommonOptions.Json,
        };
        command.SetAction(parse => CommonOptions.Run(parse, () =>
        {
            var spec = ModelZoo.Get(parse.GetValue(name)!);
            if (parse.GetValue(shortcut) is { } s) spec = spec with { Shortcut = s };
            if (parse.GetValue(plain)) spec = spec with { Residual = false };
            if (parse.GetValue(preact)) spec = spec with { PreActivation = true };
            if (parse.GetValue(strideOn) is { } at) spec = spec with { Stride = at == "3x3" ? BottleneckStride.OnSpatial : BottleneckStride.OnReduce };
            if (parse.GetValue(classes) is { } c) spec = spec with { Classes = c };
            using var net = new ResNet(spec);
            var summary = ModelSummary.Of(net, parse.GetValue(input));
            if (parse.GetValue(CommonOptions.Json))
            {
                CommonOptions.WriteJson(new { network = spec.Name, description = spec.ToString(), spec, summary.InputSize, summary.Parameters, summary.MultiplyAdds, summary.Stages, summary.Layers });
                return 0;
            }
            AnsiConsole.MarkupLine($"[bold]{Markup.Escape(spec.ToString())}[/]");
            var table = new Table().Border(TableBorder.Rounded).AddColumns("stage", "output", "params", "mult-adds");
            foreach (var st in summary.Stages)
                table.AddRow(st.Stage, Shape(st.OutputShape), $"{st.Parameters:N0}", ModelsCommand.Giga(st.MultiplyAdds));
            table.AddEmptyRow();
            table.AddRow("[bold]total[/]", $"{summary.InputSize}x{summary.InputSize} in", $"[bold]{summary.Parameters:N0}[/]", $"[bold]{ModelsCommand.Giga(summary.MultiplyAdds)}[/]");
            AnsiConsole.Write(table);
            if (parse.GetValue(layers))
            {
                var all = new Table().Border(TableBorder.Simple).AddColumns("layer", "kind", "output", "params", "mult-adds");
                foreach (var l in summary.Layers) all.AddRow(l.Name, l.Kind, Shape(l.OutputShape), $"{l.Parameters:N0}", $"{l.MultiplyAdds:N0}");
                AnsiConsole.Write(all);
            }
            return 0;
        }));
        return command;
    }

    static string Shape(IReadOnlyList<long> shape) => string.Join("x", shape);
}
