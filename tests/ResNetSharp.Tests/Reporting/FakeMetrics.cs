using ResNetSharp.Training;

namespace ResNetSharp.Tests.Reporting;

/// <summary>Made-up but plausible metrics logs: errors fall exponentially towards a floor, with a drop at each milestone.</summary>
static class FakeMetrics
{
    public static IReadOnlyList<MetricsRow> Curve(double finalTrain, double finalTest, int iterations = 6_400, int every = 100, int evalEvery = 400)
    {
        var rows = new List<MetricsRow>();
        for (var it = every; it <= iterations; it += every)
        {
            var t = it / (double)iterations;
            var drop = t >= 0.75 ? 0.4 : t >= 0.5 ? 0.7 : 1.0;
            var train = finalTrain + (0.9 - finalTrain) * Math.Exp(-6 * t) * drop + (t < 0.5 ? 0.05 : 0);
            double? test = it % evalEvery == 0 ? finalTest + (0.9 - finalTest) * Math.Exp(-6 * t) * drop + (t < 0.5 ? 0.05 : 0) : null;
            rows.Add(new MetricsRow(it, it / 390.0, 0.1 * drop, 2 * train, Math.Min(train, 0.9), test is { } x ? Math.Min(x, 0.9) : null, 1000, it / 10.0));
        }
        return rows;
    }
}
