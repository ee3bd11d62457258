using ScottPlot;

namespace ResNetSharp.Reporting;

/// <summary>
/// What every figure of a report shares: one fixed colour per network (the same in every figure and every report),
/// the legend outside the data area, and value ranges fitted to the data, on a log axis when they span orders of magnitude.
/// </summary>
public static class PlotStyle
{
    // CIFAR nets and ImageNet nets never share a figure, so the two lists reuse one palette (matplotlib's tab10 + 2).
    static readonly string[] Cifar = ["plain-20", "plain-32", "plain-44", "plain-56", "resnet20", "resnet32", "resnet44", "resnet56", "resnet110", "resnet1202"];
    static readonly string[] ImageNet = ["plain-18", "plain-34", "resnet18-a", "resnet34-a", "resnet18", "resnet34", "resnet34-c", "resnet50", "resnet101", "resnet152"];

    static readonly Color[] Palette =
    [
        Color.FromHex("#1f77b4"), Color.FromHex("#ff7f0e"), Color.FromHex("#2ca02c"), Color.FromHex("#d62728"), Color.FromHex("#9467bd"),
        Color.FromHex("#8c564b"), Color.FromHex("#e377c2"), Color.FromHex("#17becf"), Color.FromHex("#bcbd22"), Color.FromHex("#7f7f7f"),
        Color.FromHex("#393b79"), Color.FromHex("#ad494a"),
    ];

    /// <summary>
    /// Values spanning more than this factor (largest / smallest positive) are drawn on a log axis, so that one outlier
    /// does not flatten every other curve.
    /// </summary>
    public const double LogSpan = 20;

    // Identity Mappings' unit variants, by name suffix (prefix for full pre-activation), apart from the CIFAR ResNets' colours 4–8.
    static readonly (string Part, int Colour)[] Variants =
    [
        ("-bn-after-add", 0), ("-relu-before-add", 1), ("-relu-preact", 2), ("preact-", 3),
        ("-scale0.5", 0), ("-gate", 1), ("-shortcut-gate", 2), ("-conv-shortcut", 3), ("-dropout-shortcut", 10),
    ];

    /// <summary>The colour of <paramref name="network"/>: fixed for the known nets and unit variants, else one derived from its name.</summary>
    public static Color ColourOf(string network)
    {
        var i = Array.IndexOf(Cifar, network);
        if (i < 0) i = Array.IndexOf(ImageNet, network);
        if (i < 0)
        {
            // the last match wins, so "-shortcut-gate0" takes its own colour, not "-gate"'s
            foreach (var (part, colour) in Variants)
                if (part.EndsWith('-') ? network.StartsWith(part, StringComparison.Ordinal) : network.Contains(part, StringComparison.Ordinal)) i = colour;
        }
        if (i < 0) i = (int)((uint)StableHash(network) % (uint)Palette.Length);
        return Palette[i];
    }

    /// <summary>The <paramref name="index"/>-th colour of the palette, for series that are not networks (e.g. one per shortcut coefficient).</summary>
    public static Color ColourAt(int index) => Palette[((index % Palette.Length) + Palette.Length) % Palette.Length];

    /// <summary>Puts the legend in its own panel right of the data area, so it covers no data.</summary>
    public static void LegendOutside(Plot plot) => plot.ShowLegend(Edge.Right);

    /// <summary>The legend's rectangle in the last render of <paramref name="plot"/>, or null when it has no legend panel (or was not rendered).</summary>
    public static PixelRect? LegendRect(Plot plot)
    {
        var layout = plot.RenderManager.LastRender.Layout;
        if (layout.PanelSizes is null || layout.PanelOffsets is null) return null;
        foreach (var panel in plot.Axes.GetPanels().OfType<ScottPlot.Panels.LegendPanel>())
        {
            if (!layout.PanelSizes.TryGetValue(panel, out var size) || !layout.PanelOffsets.TryGetValue(panel, out var offset)) continue;
            using var paint = Paint.NewDisposablePaint();
            return ((IPanel)panel).GetPanelRect(layout.DataRect, size, offset, paint);
        }
        return null;
    }

    /// <summary>The data area of the last render of <paramref name="plot"/>.</summary>
    public static PixelRect DataRect(Plot plot) => plot.RenderManager.LastRender.DataRect;

    /// <summary>True when <paramref name="values"/> span more than <see cref="LogSpan"/> (positive values only).</summary>
    public static bool NeedsLog(IEnumerable<double> values)
    {
        var positive = values.Where(v => v > 0 && double.IsFinite(v)).ToArray();
        return positive.Length > 1 && positive.Max() / positive.Min() > LogSpan;
    }

    /// <summary>
    /// Fits the vertical axis to <paramref name="values"/> with a margin; on a log axis (<paramref name="log"/>: the plotted
    /// values are log10 of the data) ticks are labelled with the data's values.
    /// </summary>
    public static void FitY(Plot plot, IReadOnlyCollection<double> values, bool log, double? floor = null, double? ceiling = null)
    {
        var finite = values.Where(double.IsFinite).ToArray();
        if (finite.Length == 0) return;
        double low = finite.Min(), high = finite.Max();
        var margin = Math.Max((high - low) * 0.08, log ? 0.05 : Math.Max(Math.Abs(high) * 0.02, 1e-6));
        low -= margin;
        high += margin;
        if (floor is { } f) low = Math.Max(low, f);
        if (ceiling is { } c) high = Math.Min(high, c);
        plot.Axes.SetLimitsY(low, high);
        if (log) plot.Axes.Left.TickGenerator = LogTicks(low, high);
    }

    // Major ticks at 1, 2 and 5 times the powers of ten inside [10^low, 10^high] (log10 positions), minor ticks at the
    // other integers times them, labelled with the data's values.
    static ScottPlot.TickGenerators.NumericManual LogTicks(double low, double high)
    {
        var ticks = new ScottPlot.TickGenerators.NumericManual();
        var steps = high - low > 3 ? new[] { 1 } : [1, 2, 5];
        for (var power = (int)Math.Floor(low) - 1; power <= (int)Math.Ceiling(high); power++)
        {
            for (var m = 1; m <= 9; m++)
            {
                var value = m * Math.Pow(10, power);
                var at = Math.Log10(value);
                if (at < low || at > high) continue;
                // powers of ten far from 1 in scientific notation, so that 1e-5 is not labelled "0"
                var label = value is < 1e-3 or >= 1e5 ? value.ToString("0e0", System.Globalization.CultureInfo.InvariantCulture)
                    : value.ToString(value < 1 ? "0.###" : "0.#", System.Globalization.CultureInfo.InvariantCulture);
                if (steps.Contains(m)) ticks.AddMajor(at, label);
                else ticks.AddMinor(at);
            }
        }
        return ticks;
    }

    static int StableHash(string s)
    {
        unchecked
        {
            var h = 17;
            foreach (var ch in s) h = h * 31 + ch;
            return h;
        }
    }
}
