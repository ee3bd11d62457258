using System.CommandLine;
using ResNetSharp.Models;
using Spectre.Console;

namespace ResNetSharp.Cli.Commands;

/// <summary><c>resnet models [pattern] [--json]</c>: every named network with its counts.</summary>
static class ModelsCommand
{
    public sealed record ModelInfo(string Name, int Depth, string Dataset, string Block, string Shortcut, bool PreActivation,
        long Parameters, long MultiplyAdds, int InputSize, int Classes);

    public static Command Create()
    {
        var pattern = new Argument<string?>("pattern") { Description = "Only names containing this text (e.g. 'plain', 'cifar', '50').", Arity = ArgumentArity.ZeroOrOne };
        var command = new Command("models", "List every network of the paper with depth, unit kind, shortcut option, parameters and multiply-adds.")
        {
            pattern, CommonOptions.Json,
        };
        command.SetAction(parse => CommonOptions.Run(parse, () =>
        {
            var filter = parse.GetValue(pattern)?.Trim().ToLowerInvariant() ?? "";
            var names = ModelZoo.Names.Where(n => n.Contains(filter, StringComparison.Ordinal) ||
                                                  (filter == "cifar" && ModelZoo.Get(n).Stem == StemKind.Cifar) ||
                                                  (filter == "imagenet" && ModelZoo.Get(n).Stem == StemKind.ImageNet)).ToArray();
            if (names.Length == 0) throw new ArgumentException($"No network matches '{filter}'. Known networks: {string.Join(", ", ModelZoo.Names)}.");
            var infos = names.Select(Describe).ToArray();
            if (parse.GetValue(CommonOptions.Json))
            {
                CommonOptions.WriteJson(infos);
                return 0;
            }
            var table = new Table().Border(TableBorder.Rounded)
                .AddColumns("network", "depth", "data", "unit", "shortcut", "params", "mult-adds", "input");
            foreach (var i in infos)
            {
                table.AddRow(Markup.Escape(i.Name), $"{i.Depth}", i.Dataset, (i.PreActivation ? "pre-act " : "") + i.Block, i.Shortcut,
                    $"{i.Parameters / 1e6:0.00} M", Giga(i.MultiplyAdds), $"{i.InputSize}x{i.InputSize}");
            }
            AnsiConsole.Write(table);
            return 0;
        }));
        return command;
    }

    internal static string Giga(long macs) => macs >= 1e9 ? $"{macs / 1e9:0.00} G" : $"{macs / 1e6:0.0} M";

    static ModelInfo Describe(string name)
    {
        var spec = ModelZoo.Get(name);
        var (parameters, macs) = NetworkCost.Of(spec);
        return new ModelInfo(name, spec.Depth, spec.Stem == StemKind.Cifar ? "CIFAR" : "ImageNet", spec.Block.ToString().ToLowerInvariant(),
            spec.Residual ? spec.Shortcut.ToString() : "none", spec.PreActivation, parameters, macs, spec.InputSize, spec.Classes);
    }
}
