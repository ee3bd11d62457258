using System.Globalization;
using System.Text;
using ResNetSharp.Analysis;
using ResNetSharp.Models;
using ResNetSharp.Reporting;
using ResNetSharp.Runtime;

namespace ResNetSharp.Reproduce;

/// <summary>
/// Writes a reproduction's <c>report.md</c>: the protocol once, our numbers with standard errors next to the paper's,
/// the paper's claims checked on them with <see cref="Verdicts"/> (reproduced, NOT reproduced or inconclusive), each
/// run's schedule as taken, provenance, and the figures with captions that match their drawing.
/// </summary>
public static class ReportWriter
{
    /// <summary>File name of the report inside the report folder.</summary>
    public const string FileName = "report.md";

    static readonly CultureInfo C = CultureInfo.InvariantCulture;

    /// <summary>Writes <see cref="Render"/> of <paramref name="report"/> to <c>report.md</c> in <paramref name="reportDirectory"/>; returns its path.</summary>
    public static string Write(string reportDirectory, ReproduceReport report)
    {
        Directory.CreateDirectory(reportDirectory);
        var path = Path.Combine(reportDirectory, FileName);
        AtomicFile.WriteAllText(path, Render(report));
        return path;
    }

    /// <summary>The report as Markdown.</summary>
    public static string Render(ReproduceReport report)
    {
        var plan = report.Plan;
        var md = new StringBuilder();
        md.AppendLine(C, $"# Reproduction: {plan.Experiment}");
        md.AppendLine();
        md.AppendLine(C, $"{plan.Title}.");
        md.AppendLine();
        var stats = report.Runs.GroupBy(r => r.Run.Network).ToDictionary(g => g.Key, g => new NetResult(g.ToList(), plan));
        Protocol(md, plan, stats);

        var finished = report.Runs.Count(r => r.Finished);
        var reused = report.Runs.Any(r => r.Reused) ? $" ({report.Runs.Count(r => r.Reused)} reused from an earlier invocation)" : "";
        md.AppendLine(C, $"Runs: {finished} of {report.Runs.Count} finished{reused}.");
        if (finished < report.Runs.Count)
        {
            md.AppendLine();
            md.AppendLine("**Incomplete:** some runs did not finish (" +
                string.Join(", ", report.Runs.Where(r => !r.Finished).Select(r => $"{r.Run.Folder}: {(r.Result is null ? "not run" : "interrupted")}")) +
                "); their rows are empty and claims that need them are not checked. Run the same command again to resume.");
        }
        foreach (var caveat in Caveats(plan)) md.AppendLine().AppendLine(caveat);
        var stuck = stats.Values.Where(s => s.AtChance).Select(s => s.Network).ToArray();
        if (stuck.Length > 0)
            md.AppendLine().AppendLine($"**Never left chance:** {string.Join(", ", stuck)} (training error within 2 standard errors of guessing); " +
                "claims that rest on them are inconclusive.");
        md.AppendLine();

        switch (plan.Definition.Layout)
        {
            case ReportLayout.CifarDepth: CifarDepth(md, plan, stats); break;
            case ReportLayout.Degradation: Degradation(md, plan, stats); break;
            case ReportLayout.Responses: Responses(md, plan, stats, report); break;
            case ReportLayout.ActivationPlacement or ReportLayout.ShortcutVariants: IdentityMappings(md, plan, stats); break;
            default: ImageNetTable(md, plan, stats); break;
        }
        md.AppendLine();
        RunsTable(md, report);
        ProvenanceSection(md, report);
        Figures(md, report);
        return md.ToString();
    }

    static void Protocol(StringBuilder md, ExperimentPlan plan, Dictionary<string, NetResult> stats)
    {
        var p = plan.Protocol;
        md.AppendLine("## Protocol (of every number below)");
        md.AppendLine();
        md.AppendLine(C, $"- **Data:** {p.Data}, {p.Split}.");
        md.AppendLine(C, $"- **Test view:** {p.Views}.");
        md.AppendLine(C, $"- **Schedule:** {p.Schedule}.");
        md.AppendLine(C, $"- **Seeds:** {p.Seeds}.");
        var measured = stats.Values.All(s => s.TrainMeasured || s.Train is null);
        var counts = stats.Values.SelectMany(s => s.Runs).Select(r => r.Record?.Measurement).OfType<RunMeasurement>()
            .Select(m => $"{m.TrainImages:N0} training and {m.TestImages:N0} test images").Distinct().ToArray();
        md.AppendLine(C, $"- **Measured:** {(measured ? p.Measured : "final training error: the trainer's running average over its last logged training mini-batches (training mode, augmented; images counted per row); test error: the last evaluation over the whole test set")}{(counts.Length > 0 ? $" (measured on {string.Join("; ", counts)})" : "")}.");
        md.AppendLine($"- **Uncertainty:** every number ± its standard error: binomial √(p(1−p)/n) over the n images it is measured on, and with several seeds " +
                          $"the larger of that and the spread across seeds (std/√seeds). A claim counts only when the difference exceeds {Verdicts.NoiseMultiple.ToString(C)} combined " +
                          "standard errors; otherwise, or when a run it rests on never left chance, it is **inconclusive**.");
        md.AppendLine();
    }

    static IEnumerable<string> Caveats(ExperimentPlan plan)
    {
        if (plan.Options.Budget < 1)
            yield return $"**Shortened schedule:** every run trains {plan.Options.Budget:0.#####} of the paper's iterations, so absolute errors " +
                         "are expected to be above the paper's; compare orderings and trends, not the numbers themselves.";
        if (plan.Definition.Layout is ReportLayout.ActivationPlacement or ReportLayout.ShortcutVariants && plan.Options.VariantDepth != 110)
            yield return $"**Smaller networks:** every network here has {plan.Options.VariantDepth} layers (`--depth {plan.Options.VariantDepth}`); the paper's numbers are " +
                         "for ResNet-110 and are shown only at that depth. Compare the orderings.";
        if (plan.Definition.OnImageFolder)
            yield return "**Not ImageNet:** the paper's numbers are ImageNet top-1/top-5 (1000 classes, 224 px, 10-crop); ours are top-1 on the " +
                         "ImageFolder and crop above with one view. Only the orderings are comparable. Top-5 is not measured.";
    }

    /// <summary>A network's finished runs as estimates with standard errors.</summary>
    sealed class NetResult
    {
        public NetResult(List<RunOutcome> runs, ExperimentPlan plan)
        {
            Runs = runs;
            Network = runs[0].Run.Network;
            var done = runs.Where(r => r.Finished).ToArray();
            var tested = done.Where(r => r.Result!.FinalTestError is not null).ToArray();
            var testImages = tested.Select(r => r.Record?.Measurement?.TestImages).FirstOrDefault(n => n is not null) ?? plan.TestImages;
            Test = tested.Length == 0 ? null : Estimate.OfErrors([.. tested.Select(r => r.Result!.FinalTestError!.Value)], testImages);
            TrainMeasured = done.Length > 0 && done.All(r => r.Record?.Measurement is not null);
            if (TrainMeasured)
                Train = Estimate.OfErrors([.. done.Select(r => r.Record!.Measurement!.TrainError)], done.Min(r => r.Record!.Measurement!.TrainImages));
            else if (done.Length > 0)
                Train = Estimate.OfErrors([.. done.Select(r => r.Result!.FinalTrainError)], done.Min(r => RunningImages(r)));
            var classes = done.Select(r => r.Record?.Measurement?.Classes).FirstOrDefault(c => c is not null)
                ?? (plan.Definition.OnImageFolder ? null : plan.Definition.PaperClasses);
            Chance = classes is { } k ? 1 - 1.0 / k : null;
            Seeds = done.Length > 1 ? new SeedStatistics([.. tested.Select(r => r.Result!.FinalTestError!.Value)]) : null;
        }

        public List<RunOutcome> Runs { get; }
        public string Network { get; }
        public Estimate? Test { get; }
        public Estimate? Train { get; }
        public bool TrainMeasured { get; }
        public double? Chance { get; }
        public SeedStatistics? Seeds { get; }
        public string Group => Runs[0].Run.Group;
        public bool AtChance => Train is { } t && Chance is { } c && t.AtChance(c);

        // images behind the trainer's running average: the mini-batches since the row before the last
        static int RunningImages(RunOutcome r)
        {
            var m = r.Result!.Metrics;
            var batches = m.Count switch { 0 => 1, 1 => m[0].Iteration, _ => m[^1].Iteration - m[^2].Iteration };
            return (int)Math.Max(1, batches * r.Run.Config.BatchSize);
        }
    }

    static string Cell(Estimate? e) => e is null ? "—" : string.Create(C, $"{e.Value * 100:0.00} ± {e.StandardError * 100:0.00}");

    static string TestCell(NetResult s) =>
        s.Test is null ? "—" : Cell(s.Test) + (s.Seeds is { } seeds ? $" (best {seeds.Best * 100:0.00} of {seeds.Values.Count})" : "");

    static string ChanceCell(NetResult s) => s.Train is null ? "—" : s.AtChance ? "**no: at chance**" : "yes";

    static void CifarDepth(StringBuilder md, ExperimentPlan plan, Dictionary<string, NetResult> stats)
    {
        md.AppendLine("## Table 6: test error (%) by depth");
        md.AppendLine();
        md.AppendLine("| network | params (ours) | params (paper) | test error, ours | test error, paper | left chance |");
        md.AppendLine("|---|---|---|---|---|---|");
        foreach (var net in plan.Networks)
        {
            var paper = plan.Definition.Paper(net);
            md.AppendLine(C, $"| {net} | {Parameters(net)} | {paper?.Parameters ?? "—"} | {TestCell(stats[net])} | {PaperCell(paper)} | {ChanceCell(stats[net])} |");
        }
        md.AppendLine();
        md.AppendLine("## Claims");
        md.AppendLine();
        // Table 6: error falls with depth up to 110 (1202 is worse, by overfitting, and left out of the claim)
        var chain = plan.Networks.Where(n => n != "resnet1202").ToArray();
        var check = Verdicts.Falling([.. chain.Select(n => (n, stats[n].Test))], stats[chain[0]].Chance);
        Claim(md, "Test error falls with depth from ResNet-20 to ResNet-110 (mean over seeds).", check,
            string.Join(" → ", chain.Select(n => $"{n} {Percent(stats[n].Test)}")));
    }

    static void Degradation(StringBuilder md, ExperimentPlan plan, Dictionary<string, NetResult> stats)
    {
        md.AppendLine("## Fig. 6: final errors (%) of plain and residual nets");
        md.AppendLine();
        md.AppendLine("| network | kind | final training error, ours | test error, ours | test error, paper | left chance |");
        md.AppendLine("|---|---|---|---|---|---|");
        foreach (var net in plan.Networks)
        {
            var paper = plan.Definition.Paper(net);
            md.AppendLine(C, $"| {net} | {stats[net].Group} | {Cell(stats[net].Train)} | {TestCell(stats[net])} | {(paper is null ? "none given" : PaperCell(paper))} | {ChanceCell(stats[net])} |");
        }
        md.AppendLine();
        md.AppendLine("The paper gives no number for the plain CIFAR nets (\"none given\"); Fig. 6 shows their curves. Its claims, checked on our final training errors (mean over seeds):");
        md.AppendLine();
        CompareClaim(md, "Degradation: plain-56 ends with a higher training error than plain-20.", stats, "plain-56", "plain-20", s => s.Train, higher: true);
        CompareClaim(md, "Residual nets do not degrade: ResNet-56 ends with a lower training error than ResNet-20.", stats, "resnet56", "resnet20", s => s.Train, higher: false);
        if (stats.ContainsKey("resnet110"))
            CompareClaim(md, "ResNet-110 ends with a lower training error than ResNet-56.", stats, "resnet110", "resnet56", s => s.Train, higher: false);
    }

    static void Responses(StringBuilder md, ExperimentPlan plan, Dictionary<string, NetResult> stats, ReproduceReport report)
    {
        var byNet = report.Responses.ToDictionary(r => r.Net, r => r.Stds);
        var zeroInit = plan.Options.ZeroInitResidual;
        md.AppendLine("## Fig. 7: standard deviation of 3x3 layer responses (after BN, before ReLU and addition)");
        md.AppendLine();
        md.AppendLine("Responses are measured on the whole test set with each network's final weights (first seed). Mean std over layers ± its " +
                      "standard error over layers; first and second 3x3 layer of each unit apart. The paper gives no number for Fig. 7 (it shows curves only).");
        md.AppendLine();
        md.AppendLine(zeroInit
            ? "**Initialisation:** residual nets started with each unit's last BN scale at zero (`--zero-init-residual`, not the paper's init). That " +
              "BN follows the *second* 3x3 layer, so those responses start at exactly 0 and on a short schedule stay small by construction: a residual " +
              "net's second-layer and all-layer means are lowered by the initialisation, not by learning. The claims below therefore rest on the " +
              "*first* 3x3 layer of each unit, which the initialisation leaves alone. Plain nets keep the paper's init."
            : "**Initialisation:** every net uses the paper's initialisation (He et al. 2015, BN scales 1); no layer starts at zero, so first and " +
              "second layers differ only by what training made of them.");
        md.AppendLine();
        md.AppendLine("| network | 3x3 layers | first layer of unit | second layer of unit | all layers | largest | smallest | test error, ours | left chance |");
        md.AppendLine("|---|---|---|---|---|---|---|---|---|");
        foreach (var net in plan.Networks)
        {
            var r = byNet.GetValueOrDefault(net);
            md.AppendLine(C,
                $"| {net} | {(r is null ? "—" : r.Stds.Count)} | {Std(r?.FirstOfUnit)} | {Std(r?.SecondOfUnit)} | {Std(r)} | {Number3(r?.Sorted.FirstOrDefault())} | {Number3(r?.Sorted.LastOrDefault())} | {TestCell(stats[net])} | {ChanceCell(stats[net])} |");
        }
        md.AppendLine();
        md.AppendLine("## Claims");
        md.AppendLine();
        md.AppendLine(C, $"Checked on the mean std of the first 3x3 layer of each unit{(zeroInit ? " (see Initialisation above)" : "")}:");
        md.AppendLine();
        Estimate? First(string net) => byNet.GetValueOrDefault(net)?.FirstOfUnit is { Stds.Count: > 0 } f ? new Estimate(f.Mean, f.StandardError, f.Stds.Count, 1) : null;
        void Less(string claim, params string[] nets)
        {
            var check = stats.Where(s => nets.Contains(s.Key) && s.Value.AtChance).Select(s => s.Key).ToArray() is { Length: > 0 } stuck
                ? new ClaimCheck(Verdict.Inconclusive, $"{string.Join(" and ", stuck)} never left chance, so {(stuck.Length == 1 ? "its" : "their")} responses say nothing about what training does")
                : Verdicts.Falling([.. nets.Select(n => (n, First(n)))], chance: null);
            Claim(md, claim, check, string.Join(" > ", nets.Select(n => $"{n} {Std(byNet.GetValueOrDefault(n)?.FirstOfUnit)}")));
        }
        Less("Residual nets respond less than their plain counterparts (20 layers).", "plain-20", "resnet20");
        Less("Residual nets respond less than their plain counterparts (56 layers).", "plain-56", "resnet56");
        Less("Deeper residual nets respond less: ResNet-20 > ResNet-56 > ResNet-110.", "resnet20", "resnet56", "resnet110");
    }

    static void ImageNetTable(StringBuilder md, ExperimentPlan plan, Dictionary<string, NetResult> stats)
    {
        var table = plan.Definition.PaperTable;
        md.AppendLine(C, $"## {table}: top-1 error (%)");
        md.AppendLine();
        md.AppendLine("| network | shortcut | top-1 error, ours | top-1, paper (ImageNet) | top-5, paper (ImageNet) | paper source | left chance |");
        md.AppendLine("|---|---|---|---|---|---|---|");
        foreach (var net in plan.Networks)
        {
            var paper = plan.Definition.Paper(net);
            var spec = ModelZoo.Get(net);
            md.AppendLine(C,
                $"| {net} | {(spec.Residual ? spec.Shortcut.ToString() : "none")} | {TestCell(stats[net])} | {Number(paper?.Top1)} | {Number(paper?.Top5)} | {paper?.Source ?? "none given"} | {ChanceCell(stats[net])} |");
        }
        md.AppendLine();
        md.AppendLine("## Claims");
        md.AppendLine();
        if (plan.Definition.Layout == ReportLayout.ShortcutOptions)
        {
            CompareClaim(md, "Option A beats the plain net (residual learning helps).", stats, "resnet34-a", "plain-34", s => s.Test, higher: false);
            CompareClaim(md, "B is slightly better than A.", stats, "resnet34", "resnet34-a", s => s.Test, higher: false);
            CompareClaim(md, "C is marginally better than B.", stats, "resnet34-c", "resnet34", s => s.Test, higher: false);
        }
        else
        {
            CompareClaim(md, "Degradation: plain-34 has a higher error than plain-18.", stats, "plain-34", "plain-18", s => s.Test, higher: true);
            CompareClaim(md, "ResNet-34 has a lower error than ResNet-18.", stats, "resnet34-a", "resnet18-a", s => s.Test, higher: false);
            CompareClaim(md, "ResNet-34 has a lower error than plain-34.", stats, "resnet34-a", "plain-34", s => s.Test, higher: false);
            CompareClaim(md, "ResNet-50 has a lower error than ResNet-34.", stats, "resnet50", "resnet34-a", s => s.Test, higher: false);
        }
    }

    // Identity Mappings Tables 1–2: one row per unit or shortcut, the claims as orderings against the paper's.
    static void IdentityMappings(StringBuilder md, ExperimentPlan plan, Dictionary<string, NetResult> stats)
    {
        var placement = plan.Definition.Layout == ReportLayout.ActivationPlacement;
        md.AppendLine(C, $"## {plan.Definition.PaperTable}: test error (%) of the {(placement ? "units of Fig. 4" : "shortcuts of Fig. 2")}, {plan.Options.VariantDepth} layers");
        md.AppendLine();
        md.AppendLine("| network | variant | params (ours) | final training error, ours | test error, ours | test error, paper (ResNet-110) | left chance |");
        md.AppendLine("|---|---|---|---|---|---|---|");
        foreach (var net in plan.Networks)
        {
            var paper = plan.Definition.Paper(net);
            var paperCell = paper is null ? "none given" : paper.Top1 is { } e ? string.Create(C, $"{e:0.00} {paper.Note}") : paper.Note ?? "none given";
            md.AppendLine(C, $"| {net} | {stats[net].Group} | {Parameters(net)} | {Cell(stats[net].Train)} | {TestCell(stats[net])} | {paperCell} | {ChanceCell(stats[net])} |");
        }
        md.AppendLine();
        md.AppendLine("## Claims");
        md.AppendLine();
        var n = plan.Networks;
        if (placement)
        {
            md.AppendLine("The paper's ordering (ResNet-110): (e) 6.37 < (a) 6.61 < (d) 6.71 < (c) 7.84 < (b) 8.17; ResNet-164 (bottleneck): original 5.93, full pre-activation 5.46. Checked on our test errors:");
            md.AppendLine();
            CompareClaim(md, "Full pre-activation (e) ≤ original (a).", stats, n[4], n[0], s => s.Test, higher: false);
            CompareClaim(md, "Original (a) beats BN after addition (b).", stats, n[0], n[1], s => s.Test, higher: false);
            CompareClaim(md, "Original (a) beats ReLU before addition (c).", stats, n[0], n[2], s => s.Test, higher: false);
            CompareClaim(md, "Full pre-activation (e) beats ReLU-only pre-activation (d).", stats, n[4], n[3], s => s.Test, higher: false);
        }
        else
        {
            md.AppendLine("The paper (ResNet-110): identity 6.61 beats every other shortcut (×0.5: 12.35, exclusive gating: 8.70, shortcut-only gating b = 0: 12.86, " +
                          "1x1 conv: 12.22, dropout: fails to converge). Checked on our test errors:");
            md.AppendLine();
            foreach (var (other, words) in new[] { (n[1], "constant scaling 0.5"), (n[2], "exclusive gating"), (n[3], "shortcut-only gating"), (n[4], "1x1 conv shortcuts"), (n[5], "a dropout shortcut") })
                CompareClaim(md, $"The identity beats {words}.", stats, n[0], other, s => s.Test, higher: false);
            // the paper's dropout result is also a run that does not train, which a comparison with a run at chance cannot show
            var dropout = stats.GetValueOrDefault(n[5]);
            var identity = stats.GetValueOrDefault(n[0]);
            Claim(md, "A dropout shortcut fails to converge (its training error stays at chance).", Verdicts.FailsToConverge(n[5], dropout?.Train, dropout?.Chance ?? identity?.Chance),
                $"final training error {n[5]} {Percent(dropout?.Train)} vs {n[0]} {Percent(identity?.Train)}");
        }
    }

    static void CompareClaim(StringBuilder md, string claim, Dictionary<string, NetResult> stats, string a, string b, Func<NetResult, Estimate?> pick, bool higher)
    {
        var x = stats.TryGetValue(a, out var sa) ? pick(sa) : null;
        var y = stats.TryGetValue(b, out var sb) ? pick(sb) : null;
        var chance = sa?.Chance ?? sb?.Chance;
        Claim(md, claim, Verdicts.Compare(a, x, b, y, higher, chance), $"{a} {Percent(x)} vs {b} {Percent(y)}");
    }

    static void Claim(StringBuilder md, string claim, ClaimCheck check, string evidence) =>
        Verdicts.AppendClaim(md, claim, check, evidence, "not checked (runs missing)");

    static void RunsTable(StringBuilder md, ReproduceReport report)
    {
        md.AppendLine("## Runs: schedules as taken, wall time, notices");
        md.AppendLine();
        md.AppendLine("| run | schedule as taken (lr by iteration) | training wall time | final measurement | trainer notices |");
        md.AppendLine("|---|---|---|---|---|");
        foreach (var o in report.Runs)
        {
            var r = o.Record;
            var measured = r?.Measurement is { } m ? string.Create(C, $"{Duration(m.Seconds)} ({m.TrainImages:N0} training images)") : "—";
            var notes = r is null || r.Notes.Count == 0 ? "—" : string.Join("; ", r.Notes.Select(n => n.Replace("|", "/", StringComparison.Ordinal)));
            md.AppendLine(C, $"| {o.Run.Folder} | {(o.Result is null ? "not run" : r?.Schedule(o.Run.Config) ?? "not recorded")} | {(r is null ? "—" : Duration(r.TrainingSeconds))} | {measured} | {notes} |");
        }
        var fallbacks = report.Runs.Where(o => o.Record?.LayoutFallbacks.Count > 0).Select(o => o.Run.Folder).ToArray();
        md.AppendLine();
        md.AppendLine(fallbacks.Length == 0
            ? "Layout: every run that recorded its notices trained in the channels-last layout (none fell back to the plain layout)."
            : $"Layout fallbacks: {string.Join(", ", fallbacks)} trained in the slower plain layout (the channels-last check disagreed or does not apply); their wall times are not comparable with the others'.");
        md.AppendLine();
    }

    static void ProvenanceSection(StringBuilder md, ReproduceReport report)
    {
        if (report.Provenance is not { } p) return;
        md.AppendLine("## Provenance");
        md.AppendLine();
        md.AppendLine(C, $"- CPU: {p.Cpu}, {p.LogicalProcessors} logical processors, libtorch on {p.Threads} threads.");
        md.AppendLine(C, $"- Code: {p.CodeVersion} ({p.CodeVersionSource}).");
        var total = report.Runs.Sum(o => (o.Record?.TrainingSeconds ?? 0) + (o.Record?.Measurement?.Seconds ?? 0));
        md.AppendLine(C, $"- Wall time of all runs: {Duration(total)} (training and final measurements; reused runs count their original time).");
        md.AppendLine();
    }

    static void Figures(StringBuilder md, ReproduceReport report)
    {
        if (report.Figures.Count == 0) return;
        md.AppendLine("## Figures");
        md.AppendLine();
        foreach (var figure in report.Figures)
        {
            md.AppendLine(C, $"![{figure}]({figure})");
            md.AppendLine();
            var caption = figure switch
            {
                "curves.png" => $"`curves.png`: error (%) against iterations, {TrainingCurves.Caption}, first seed of each network; one colour per network in every figure; " +
                                "the vertical axis is fitted to the data (log scale when the errors span more than a factor of 20). A run logged only once (a tiny budget) shows a small dot for its training error (the trainer's running average) and a large dot for its test error.",
                "responses-by-layer.png" => "`responses-by-layer.png`: std of every 3x3 layer's response in network order (Fig. 7 top); " +
                                            "log scale when the stds span more than a factor of 20.",
                "responses-sorted.png" => "`responses-sorted.png`: the same stds sorted by magnitude (Fig. 7 bottom), the first 3x3 layer of each unit (top panel) " +
                                          "and the second (bottom panel) apart.",
                _ => null,
            };
            if (caption is not null)
            {
                md.AppendLine(caption);
                md.AppendLine();
            }
        }
    }

    static string PaperCell(PaperFigure? paper) =>
        paper?.Top1 is { } e ? string.Create(C, $"{e:0.00}{(paper.Note is { } n ? " " + n : "")}") : "none given";

    static string Number(double? v) => v is { } x ? x.ToString("0.00", C) : "none given";

    // three decimals for stds near 1, fewer for the exploded responses of an unsettled net
    static string Number3(double? v) => v is { } x ? x.ToString(Math.Abs(x) >= 100 ? "0" : "0.000", C) : "—";

    static string Percent(Estimate? e) => e is null ? "—" : string.Create(C, $"{e.Value * 100:0.00}% ± {e.StandardError * 100:0.00}");

    static string Std(LayerResponseStd? r) => r is { Stds.Count: > 0 } ? $"{Number3(r.Mean)} ± {Number3(r.StandardError)}" : "—";

    static string Duration(double seconds) =>
        seconds < 120 ? string.Create(C, $"{seconds:0} s") : seconds < 7200 ? string.Create(C, $"{seconds / 60:0.0} min") : string.Create(C, $"{seconds / 3600:0.0} h");

    static string Parameters(string net) => (NetworkCost.Of(ModelZoo.Get(net)).Parameters / 1e6).ToString("0.00", C) + "M";
}
