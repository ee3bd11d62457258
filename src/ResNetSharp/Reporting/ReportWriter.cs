using System.Globalization;
using System.Text;
using ResNetSharp.Models;
using ResNetSharp.Reproduce;
using ResNetSharp.Runtime;

namespace ResNetSharp.Reporting;

/// <summary>
/// Writes a reproduction's <c>report.md</c>: our numbers next to the paper's, each row tagged with its protocol,
/// the paper's claims checked on our numbers (saying plainly when one is not reproduced), and the figures.
/// </summary>
public static class ReportWriter
{
    /// <summary>File name of the report inside the report folder.</summary>
    public const string FileName = "report.md";

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
        md.AppendLine(CultureInfo.InvariantCulture, $"# Reproduction: {plan.Experiment}");
        md.AppendLine();
        md.AppendLine(CultureInfo.InvariantCulture, $"{plan.Title}.");
        md.AppendLine();
        md.AppendLine(CultureInfo.InvariantCulture, $"**Protocol of every row below:** {plan.Protocol}.");
        md.AppendLine();
        var finished = report.Runs.Count(r => r.Finished);
        var reused = report.Runs.Any(r => r.Reused) ? $" ({report.Runs.Count(r => r.Reused)} reused from an earlier invocation)" : "";
        md.AppendLine(CultureInfo.InvariantCulture, $"Runs: {finished} of {report.Runs.Count} finished{reused}.");
        if (finished < report.Runs.Count)
        {
            md.AppendLine();
            md.AppendLine("**Incomplete:** some runs did not finish (" +
                string.Join(", ", report.Runs.Where(r => !r.Finished).Select(r => $"{r.Run.Folder}: {(r.Result is null ? "not run" : "interrupted")}")) +
                "); their rows are empty and claims that need them are not checked. Run the same command again to resume.");
        }
        foreach (var caveat in Caveats(plan)) md.AppendLine().AppendLine(caveat);
        md.AppendLine();

        var stats = report.Runs.GroupBy(r => r.Run.Network).ToDictionary(g => g.Key, g => new NetResult(g.ToList()));
        switch (plan.Experiment)
        {
            case "cifar-depth": CifarDepth(md, plan, stats); break;
            case "degradation": Degradation(md, plan, stats); break;
            case "responses": Responses(md, plan, stats, report); break;
            case "shortcuts":
            case "imagenet-depth": ImageNetTable(md, plan, stats); break;
            default: throw new ArgumentException($"No report layout for experiment '{plan.Experiment}'.");
        }
        md.AppendLine();

        if (report.Figures.Count > 0)
        {
            md.AppendLine("## Figures");
            md.AppendLine();
            foreach (var figure in report.Figures) md.AppendLine(CultureInfo.InvariantCulture, $"![{figure}]({figure})");
            md.AppendLine();
            if (report.Figures.Contains("curves.png"))
                md.AppendLine("`curves.png`: error (%) against iterations, training error thin, test error bold (as Fig. 4/6), first seed of each network.");
        }
        return md.ToString();
    }

    static IEnumerable<string> Caveats(ExperimentPlan plan)
    {
        if (plan.Options.Budget < 1)
            yield return $"**Shortened schedule:** every run trains {plan.Options.Budget:0.###} of the paper's iterations, so absolute errors " +
                         "are expected to be above the paper's; compare orderings and trends, not the numbers themselves.";
        if (plan.Experiment is "shortcuts" or "imagenet-depth")
            yield return "**Not ImageNet:** the paper's numbers are ImageNet top-1/top-5 (1000 classes, 224 px, 10-crop); ours are top-1 on the " +
                         "ImageFolder and crop above with one view. Only the orderings are comparable. Top-5 is not measured.";
    }

    sealed record NetResult(List<RunOutcome> Runs)
    {
        public SeedStatistics? Test { get; } = Stat(Runs.Where(r => r.Finished && r.Result!.FinalTestError is not null).Select(r => r.Result!.FinalTestError!.Value));
        public SeedStatistics? Train { get; } = Stat(Runs.Where(r => r.Finished).Select(r => r.Result!.FinalTrainError));
        public string Group => Runs[0].Run.Group;

        static SeedStatistics? Stat(IEnumerable<double> values) => values.ToArray() is { Length: > 0 } v ? new SeedStatistics(v) : null;
    }

    static string Cell(SeedStatistics? s) => s?.Format() ?? "—";

    static void CifarDepth(StringBuilder md, ExperimentPlan plan, Dictionary<string, NetResult> stats)
    {
        md.AppendLine("## Table 6: test error (%) by depth");
        md.AppendLine();
        md.AppendLine("| network | params (ours) | params (paper) | test error, ours | test error, paper | protocol |");
        md.AppendLine("|---|---|---|---|---|---|");
        foreach (var net in plan.Networks)
        {
            var paper = PaperNumbers.For(plan.Experiment, net);
            md.AppendLine(CultureInfo.InvariantCulture,
                $"| {net} | {Parameters(net)} | {paper?.Parameters ?? "—"} | {Cell(stats[net].Test)} | {PaperCell(paper)} | {plan.Protocol} |");
        }
        md.AppendLine();
        md.AppendLine("## Claims");
        md.AppendLine();
        // Table 6: error falls with depth up to 110 (1202 is worse, by overfitting, and left out of the claim)
        var chain = plan.Networks.Where(n => n != "resnet1202").ToArray();
        Claim(md, "Test error falls with depth from ResNet-20 to ResNet-110 (mean over seeds).",
            chain.Select(n => stats[n].Test?.Mean).ToArray() is var means && means.All(m => m is not null)
                ? Enumerable.Range(1, means.Length - 1).All(i => means[i] < means[i - 1])
                : null,
            string.Join(" → ", chain.Select(n => $"{n} {Percent(stats[n].Test?.Mean)}")));
    }

    static void Degradation(StringBuilder md, ExperimentPlan plan, Dictionary<string, NetResult> stats)
    {
        md.AppendLine("## Fig. 6: final errors (%) of plain and residual nets");
        md.AppendLine();
        md.AppendLine("| network | kind | final training error, ours | test error, ours | test error, paper | protocol |");
        md.AppendLine("|---|---|---|---|---|---|");
        foreach (var net in plan.Networks)
        {
            var paper = PaperNumbers.For(plan.Experiment, net);
            md.AppendLine(CultureInfo.InvariantCulture,
                $"| {net} | {stats[net].Group} | {Cell(stats[net].Train)} | {Cell(stats[net].Test)} | {PaperCell(paper)} | {plan.Protocol} |");
        }
        md.AppendLine();
        md.AppendLine("The paper gives no table for the plain CIFAR nets; Fig. 6 shows their curves. Its claims, checked on our final training errors (mean over seeds):");
        md.AppendLine();
        CompareClaim(md, "Degradation: plain-56 ends with a higher training error than plain-20.", stats, "plain-56", "plain-20", s => s.Train, higher: true);
        CompareClaim(md, "Residual nets do not degrade: ResNet-56 ends with a lower training error than ResNet-20.", stats, "resnet56", "resnet20", s => s.Train, higher: false);
    }

    static void Responses(StringBuilder md, ExperimentPlan plan, Dictionary<string, NetResult> stats, ReproduceReport report)
    {
        var byNet = report.Responses.ToDictionary(r => r.Net, r => r.Stds);
        md.AppendLine("## Fig. 7: standard deviation of 3x3 layer responses (after BN, before ReLU and addition)");
        md.AppendLine();
        md.AppendLine("| network | layers | mean std over layers | largest | smallest | test error, ours | protocol |");
        md.AppendLine("|---|---|---|---|---|---|---|");
        foreach (var net in plan.Networks)
        {
            var r = byNet.GetValueOrDefault(net);
            md.AppendLine(CultureInfo.InvariantCulture,
                $"| {net} | {(r is null ? "—" : r.Stds.Count)} | {Std(r?.Mean)} | {Std(r?.Sorted.FirstOrDefault())} | {Std(r?.Sorted.LastOrDefault())} | {Cell(stats[net].Test)} | {plan.Protocol}; responses on the test set, first seed |");
        }
        md.AppendLine();
        md.AppendLine("## Claims");
        md.AppendLine();
        double? Mean(string net) => byNet.GetValueOrDefault(net)?.Mean;
        void Less(string claim, params string[] nets)
        {
            var means = nets.Select(Mean).ToArray();
            Claim(md, claim, means.All(m => m is not null) ? Enumerable.Range(1, means.Length - 1).All(i => means[i] < means[i - 1]) : null,
                string.Join(" > ", nets.Select(n => $"{n} {Std(Mean(n))}")));
        }
        Less("Residual nets respond less than their plain counterparts (20 layers).", "plain-20", "resnet20");
        Less("Residual nets respond less than their plain counterparts (56 layers).", "plain-56", "resnet56");
        Less("Deeper residual nets respond less: ResNet-20 > ResNet-56 > ResNet-110 (mean std).", "resnet20", "resnet56", "resnet110");
    }

    static void ImageNetTable(StringBuilder md, ExperimentPlan plan, Dictionary<string, NetResult> stats)
    {
        var table = plan.Experiment == "shortcuts" ? "Table 3" : "Tables 2–3";
        md.AppendLine(CultureInfo.InvariantCulture, $"## {table}: top-1 error (%)");
        md.AppendLine();
        md.AppendLine("| network | shortcut | top-1 error, ours | top-1, paper (ImageNet) | top-5, paper (ImageNet) | paper source | protocol |");
        md.AppendLine("|---|---|---|---|---|---|---|");
        foreach (var net in plan.Networks)
        {
            var paper = PaperNumbers.For(plan.Experiment, net);
            var spec = ModelZoo.Get(net);
            md.AppendLine(CultureInfo.InvariantCulture,
                $"| {net} | {(spec.Residual ? spec.Shortcut.ToString() : "none")} | {Cell(stats[net].Test)} | {Number(paper?.Top1)} | {Number(paper?.Top5)} | {paper?.Source ?? "—"} | {plan.Protocol} |");
        }
        md.AppendLine();
        md.AppendLine("## Claims");
        md.AppendLine();
        if (plan.Experiment == "shortcuts")
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

    static void CompareClaim(StringBuilder md, string claim, Dictionary<string, NetResult> stats, string a, string b, Func<NetResult, SeedStatistics?> pick, bool higher)
    {
        var x = stats.TryGetValue(a, out var sa) ? pick(sa)?.Mean : null;
        var y = stats.TryGetValue(b, out var sb) ? pick(sb)?.Mean : null;
        Claim(md, claim, x is null || y is null ? null : higher ? x > y : x < y, $"{a} {Percent(x)} vs {b} {Percent(y)}");
    }

    static void Claim(StringBuilder md, string claim, bool? holds, string evidence)
    {
        var verdict = holds switch
        {
            true => "**reproduced**",
            false => "**NOT reproduced**",
            null => "not checked (runs missing)",
        };
        md.AppendLine(CultureInfo.InvariantCulture, $"- {claim} — {verdict}: {evidence}.");
    }

    static string PaperCell(PaperFigure? paper) =>
        paper?.Top1 is { } e ? string.Create(CultureInfo.InvariantCulture, $"{e:0.00}{(paper.Note is { } n ? " " + n : "")}") : "—";

    static string Number(double? v) => v is { } x ? x.ToString("0.00", CultureInfo.InvariantCulture) : "—";

    static string Percent(double? fraction) => fraction is { } f ? (f * 100).ToString("0.00", CultureInfo.InvariantCulture) + "%" : "—";

    static string Std(double? v) => v is { } x ? x.ToString("0.000", CultureInfo.InvariantCulture) : "—";

    static string Parameters(string net) => (NetworkCost.Of(ModelZoo.Get(net)).Parameters / 1e6).ToString("0.00", CultureInfo.InvariantCulture) + "M";
}
