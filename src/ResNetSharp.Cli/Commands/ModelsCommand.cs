using System.CommandLine;
using ResNetSharp.Models;
using ResNetSharp.Pretrained;
using Spectre.Console;

namespace ResNetSharp.Cli.Commands;

/// <summary><c>resnet models [pattern] [--json]</c>: every named network with its counts.</summary>
static class ModelsCommand
{
    public sealed record ModelInfo(string Name, int Depth, string Dataset, string Block, string Shortcut, bool PreActivation,
        long Parameters, long MultiplyAdds, int InputSize, int Classes, IReadOnlyList<PretrainedInfo> Pretrained);

    /// <summary>Released weights of a network and the errors their model card states (fractions).</summary>
    public sealed record PretrainedInfo(string Name, string Dataset, double Top1Error, double FlipTop1Error, int TestImages, bool OnSampleOnly, string Source);

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
            var released = PretrainedCatalog.List();
            var names = ModelZoo.Names.Concat(released.Select(r => r.Card.Network).Where(n => !ModelZoo.Names.Contains(n)).Distinct()).Where(n => n.Contains(filter, StringComparison.Ordinal) ||
                                                  (filter == "cifar" && ModelZoo.Get(n).Stem == StemKind.Cifar) ||
                                                  (filter == "imagenet" && ModelZoo.Get(n).Stem == StemKind.ImageNet)).ToArray();
            if (names.Length == 0) throw new ArgumentException($"No network matches '{filter}'. Known networks: {string.Join(", ", ModelZoo.Names)}.");
            var infos = names.Select(n => Describe(n, released)).ToArray();
            if (parse.GetValue(CommonOptions.Json))
            {
                CommonOptions.WriteJson(infos);
                return 0;
            }
            var table = new Table().Border(TableBorder.Rounded)
                .AddColumns("network", "depth", "data", "unit", "shortcut", "params", "mult-adds", "input", "pretrained (test error)");
            foreach (var i in infos)
            {
                table.AddRow(Markup.Escape(i.Name), $"{i.Depth}", i.Dataset, (i.PreActivation ? "pre-act " : "") + i.Block, i.Shortcut,
                    $"{i.Parameters / 1e6:0.00} M", Giga(i.MultiplyAdds), $"{i.InputSize}x{i.InputSize}",
                    i.Pretrained.Count == 0 ? "-" : Markup.Escape(string.Join("; ", i.Pretrained.Select(p =>
                        $"{p.Name}: {p.Top1Error * 100:0.00}% (flip {p.FlipTop1Error * 100:0.00}%){(p.OnSampleOnly ? " on the sample" : "")}"))));
            }
            AnsiConsole.Write(table);
            AnsiConsole.MarkupLine(released.Count == 0
                ? "pretrained weights: none shipped with this build (make them with 'resnet release')"
                : $"pretrained weights: {released.Count} ({Markup.Escape(string.Join(", ", released.Select(r => r.Name)))}); use them with --pretrained <name> on predict, eval and export");
            return 0;
        }));
        return command;
    }

    internal static string Giga(long macs) => macs >= 1e9 ? $"{macs / 1e9:0.00} G" : $"{macs / 1e6:0.0} M";

    static ModelInfo Describe(string name, IReadOnlyList<PretrainedEntry> released)
    {
        var spec = ModelZoo.Get(name);
        var (parameters, macs) = NetworkCost.Of(spec);
        var variant = (spec.Activation != ActivationPlacement.Original ? $", {UnitVariants.Describe(spec.Activation)}" : "") +
                      (spec.ShortcutVariant is { } v ? $", {v}" : "");
        return new ModelInfo(name, spec.Depth, spec.Stem == StemKind.Cifar ? "CIFAR" : "ImageNet", spec.Block.ToString().ToLowerInvariant() + variant,
            spec.Residual ? spec.Shortcut.ToString() : "none", spec.PreActivation, parameters, macs, spec.InputSize, spec.Classes,
            [.. released.Where(r => r.Card.Network == name).Select(r => new PretrainedInfo(r.Name, r.Card.Dataset, r.Card.SingleView.Top1Error,
                r.Card.FlipAveraged.Top1Error, r.Card.SingleView.Images, r.Card.EvaluatedOnSample, r.Source))]);
    }
}
