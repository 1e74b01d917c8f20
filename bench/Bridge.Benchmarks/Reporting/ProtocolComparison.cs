using Bridge.Benchmarks.Load;
using Bridge.Benchmarks.Scenarios;

namespace Bridge.Benchmarks.Reporting;

/// <summary>
/// (g) next to (a) for one payload size: the bridge's plain WebSocket row of (a) and its JSON and
/// SSE rows of (g), with the ratios of their deliveries/s to plain's. A row is null when its run was not made.
/// </summary>
internal sealed record ProtocolComparison(int PayloadSize, SummaryRow? Plain, SummaryRow? Json, SummaryRow? Sse)
{
    public string Payload => BenchRunner.SizeLabel(PayloadSize);

    /// <summary>JSON's deliveries/s over plain's (median over median), when both were measured.</summary>
    public double? JsonVsPlain => Ratio(Json);

    /// <summary>SSE's deliveries/s over plain's, when both were measured.</summary>
    public double? SseVsPlain => Ratio(Sse);

    /// <summary>One comparison per payload size that (g) ran.</summary>
    public static IReadOnlyList<ProtocolComparison> For(RunReport report)
    {
        var rows = report.Summary();
        SummaryRow? Find(string scenario, string variant) =>
            rows.FirstOrDefault(r => r.Scenario == scenario && r.Server == "bridge" && r.Variant == variant);
        return [.. report.Settings.ProtocolPayloadSizes
            .Select(size => new ProtocolComparison(
                size,
                Find("a", BenchRunner.SizeLabel(size)),
                Find("g", BenchRunner.ProtocolVariant(SubscriberMode.Json, size)),
                Find("g", BenchRunner.ProtocolVariant(SubscriberMode.Sse, size))))
            .Where(c => c.Json is not null || c.Sse is not null)];
    }

    private double? Ratio(SummaryRow? row) =>
        row?.Median(Metric.DeliveriesPerSecond) is { } value && Plain?.Median(Metric.DeliveriesPerSecond) is { } plain && plain > 0 ? value / plain : null;
}
