using System.Globalization;
using System.Text;
using Bridge.Benchmarks.Infrastructure;
using Bridge.Benchmarks.Scenarios;

namespace Bridge.Benchmarks.Reporting;

/// <summary>The markdown report: one table per scenario, medians over the repetitions.</summary>
internal static class Tables
{
    private const string NotMeasured = "n/a";

    /// <summary>The one-line summary printed after each run.</summary>
    public static string Headline(ScenarioResult result)
    {
        var m = result.Metrics;
        var parts = new List<string>();
        void Add(string metric, Func<double, string> format, string suffix)
        {
            if (m.TryGetValue(metric, out var value))
            {
                parts.Add(format(value) + suffix);
            }
        }

        Add(Metric.DeliveriesPerSecond, BenchConsole.Rate, " deliveries/s");
        Add(Metric.AcksPerSecond, BenchConsole.Rate, " acks/s");
        Add(Metric.ClientMessagesPerSecond, BenchConsole.Rate, " messages/s");
        Add(Metric.ChurnPerSecond, BenchConsole.Rate, " cycles/s");
        Add(Metric.LatencyP50, Micro, " p50");
        Add(Metric.LatencyP99, Micro, " p99");
        Add(Metric.RssPerConnection, Kib, " RSS/connection");
        Add(Metric.GeneratorCpu, Percent, " generator CPU");
        Add(Metric.ServerCpu, Percent, " server CPU");
        Add(Metric.FramesPerRead, v => Number(v, "0.0"), " messages/read");
        Add(Metric.AllocatedBytesPerDelivery, v => Number(v, "0"), " B allocated/delivery");
        Add(Metric.AllocatedBytesPerMessage, v => Number(v, "0"), " B allocated/message");
        return parts.Count == 0 ? "no numbers" : string.Join(", ", parts);
    }

    public static string Markdown(RunReport report)
    {
        var settings = report.Settings;
        var rows = report.Summary();
        var md = new StringBuilder();
        md.AppendLine(CultureInfo.InvariantCulture, $"# Bridge benchmarks{(settings.Smoke ? " (smoke run: tiny sizes, numbers mean nothing)" : "")}");
        md.AppendLine();
        md.AppendLine(CultureInfo.InvariantCulture, $"Run {report.Started:yyyy-MM-dd HH:mm} UTC, {report.Elapsed.TotalMinutes:0.0} min, {settings.Repeat} repetition(s), servers alternated within each scenario; medians (min–max in brackets where it varies). ");
        md.AppendLine(CultureInfo.InvariantCulture, $"Servers pinned to core 0, the load generator to core 1 ({Environment.ProcessorCount} cores, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}, .NET {Environment.Version}, servers built {report.Layout.Configuration}, receiver: {settings.Receiver.ToString().ToLowerInvariant()}). ");
        md.AppendLine("*Generator CPU* is the load generator's CPU time over wall time (100% = its one core saturated: then the number is the generator's limit, not the server's); *server CPU* likewise for the server's processes; *other CPU* is what everything else on the machine used meanwhile (user+system time, both cores) — work outside the benchmark that disturbs its numbers.");
        md.AppendLine();
        if (report.Unavailable.Count > 0)
        {
            md.AppendLine("**Not run:**");
            foreach (var (server, why) in report.Unavailable)
            {
                md.AppendLine(CultureInfo.InvariantCulture, $"- {server}: {why}");
            }

            md.AppendLine();
        }

        Section(md, rows, "a", $"(a) Broadcast throughput — {settings.Subscribers:N0} subscribers, closed loop with at most {settings.Window} messages in flight",
            ["payload", "deliveries/s", "messages/s", "generator CPU", "server CPU", "other CPU", "messages/read", "allocated/delivery"],
            r => [r.Variant, RateCell(r, Metric.DeliveriesPerSecond), Cell(r, Metric.MessagesPerSecond, BenchConsole.Rate), Cell(r, Metric.GeneratorCpu, Percent), Cell(r, Metric.ServerCpu, Percent), Cell(r, Metric.OtherCpu, Percent), Cell(r, Metric.FramesPerRead, v => Number(v, "0.0")), Cell(r, Metric.AllocatedBytesPerDelivery, v => Number(v, "0.0") + " B")]);
        Ratios(md, rows, "a", Metric.DeliveriesPerSecond);

        Section(md, rows, "b", $"(b) Latency at a fixed load — {settings.Subscribers:N0} subscribers, {settings.Rate:N0} messages/s offered ({(long)settings.Rate * settings.Subscribers:N0} deliveries/s), {settings.SmallPayload} B",
            ["p50", "p99", "p99.9", "max", "achieved msg/s", "generator CPU", "server CPU", "other CPU", "allocated/delivery"],
            r => [RateCell(r, Metric.LatencyP50, Micro), RateCell(r, Metric.LatencyP99, Micro), Cell(r, Metric.LatencyP999, Micro), Cell(r, Metric.LatencyMax, Micro), Cell(r, Metric.AchievedRate, v => Number(v, "0")), Cell(r, Metric.GeneratorCpu, Percent), Cell(r, Metric.ServerCpu, Percent), Cell(r, Metric.OtherCpu, Percent), Cell(r, Metric.AllocatedBytesPerDelivery, v => Number(v, "0.0") + " B")]);

        Section(md, rows, "c", "(c) Idle density — resident memory the server grew by per idle WebSocket",
            ["connections", "RSS per connection", "live managed heap per connection", "time to connect all"],
            r => [Cell(r, Metric.Connections, v => Number(v, "N0")), RateCell(r, Metric.RssPerConnection, Kib), Cell(r, Metric.HeapPerConnection, Kib), Cell(r, Metric.ConnectSeconds, v => Number(v, "0.0") + " s")]);

        if (rows.Any(r => r.Scenario == "c"))
        {
            md.AppendLine("RSS is the server's resident memory growth per connection as the OS sees it (uncollected garbage included); the live heap is measured after a forced full collection. Neither includes the kernel's socket memory, which is the same for every server.");
            md.AppendLine();
        }

        Section(md, rows, "d", $"(d) Bridge only: one Publish stream, no subscribers, at most {settings.PublisherWindow} updates unacknowledged",
            ["acked updates/s", "generator CPU", "server CPU", "allocated/update"],
            r => [RateCell(r, Metric.AcksPerSecond), Cell(r, Metric.GeneratorCpu, Percent), Cell(r, Metric.ServerCpu, Percent), Cell(r, Metric.AllocatedBytesPerMessage, v => Number(v, "0.0") + " B")]);

        Section(md, rows, "e", $"(e) Bridge only: {settings.Browsers} browsers → one backend stream, {settings.BrowserWindow} messages in flight per browser",
            ["messages/s at the backend", "p50", "p99", "generator CPU", "server CPU", "allocated/message"],
            r => [RateCell(r, Metric.ClientMessagesPerSecond), Cell(r, Metric.LatencyP50, Micro), Cell(r, Metric.LatencyP99, Micro), Cell(r, Metric.GeneratorCpu, Percent), Cell(r, Metric.ServerCpu, Percent), Cell(r, Metric.AllocatedBytesPerMessage, v => Number(v, "0.0") + " B")]);

        Section(md, rows, "f", $"(f) Bridge only: churn — {settings.ChurnWorkers} workers connecting and closing while {settings.ChurnSubscribers} subscribers receive {settings.ChurnRate} messages/s",
            ["connect+close cycles/s", "generator CPU", "server CPU"],
            r => [RateCell(r, Metric.ChurnPerSecond), Cell(r, Metric.GeneratorCpu, Percent), Cell(r, Metric.ServerCpu, Percent)]);

        ProtocolSection(md, report);

        var failed = report.Results.Where(r => !r.Passed).ToList();
        md.AppendLine("## Checks");
        md.AppendLine();
        md.AppendLine(failed.Count == 0
            ? $"All {report.Results.Count} scenario runs passed every check: every subscriber received every message, in order, without duplicates; every publish was answered as the protocol says."
            : $"**{failed.Count} of {report.Results.Count} scenario runs FAILED:**");
        foreach (var result in failed)
        {
            md.AppendLine();
            md.AppendLine(CultureInfo.InvariantCulture, $"- {result.Server} ({result.Scenario}) {result.Variant} rep {result.Repetition}:");
            foreach (var error in result.Errors.Take(10))
            {
                md.AppendLine(CultureInfo.InvariantCulture, $"  - {error.ReplaceLineEndings(" ")}");
            }
        }

        var notes = report.Results.SelectMany(r => r.Notes.Select(n => $"{r.Server} ({r.Scenario}) rep {r.Repetition}: {n}")).ToList();
        if (notes.Count > 0)
        {
            md.AppendLine();
            md.AppendLine("## Notes");
            md.AppendLine();
            foreach (var note in notes)
            {
                md.AppendLine(CultureInfo.InvariantCulture, $"- {note}");
            }
        }

        md.AppendLine();
        md.AppendLine("Allocations are read inside the .NET servers by bench/AllocationProbe, a startup hook (`DOTNET_STARTUP_HOOKS`) that answers `GC.GetTotalAllocatedBytes(precise: true)` on a Unix socket; the servers themselves are unchanged. n/a: not a .NET server.");
        return md.ToString();
    }

    /// <summary>(g): the bridge's JSON and SSE subscribers next to its plain ones of (a), per payload size, and the ratios.</summary>
    private static void ProtocolSection(StringBuilder md, RunReport report)
    {
        var comparisons = ProtocolComparison.For(report);
        if (comparisons.Count == 0)
        {
            return;
        }

        var settings = report.Settings;
        md.AppendLine(CultureInfo.InvariantCulture, $"## (g) Bridge only: broadcast throughput by subscriber protocol — {settings.Subscribers:N0} subscribers, closed loop with at most {settings.Window} messages in flight");
        md.AppendLine();
        md.AppendLine("| protocol | payload | deliveries/s | messages/s | generator CPU | server CPU | other CPU | messages/read | allocated/delivery | vs plain | checks |");
        md.AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|");
        foreach (var comparison in comparisons)
        {
            foreach (var (protocol, row, ratio) in new[] { ("plain (a)", comparison.Plain, (double?)1), ("json", comparison.Json, comparison.JsonVsPlain), ("sse", comparison.Sse, comparison.SseVsPlain) })
            {
                if (row is null)
                {
                    continue;
                }

                md.AppendLine(CultureInfo.InvariantCulture,
                    $"| {protocol} | {comparison.Payload} | {RateCell(row, Metric.DeliveriesPerSecond)} | {Cell(row, Metric.MessagesPerSecond, BenchConsole.Rate)} | {Cell(row, Metric.GeneratorCpu, Percent)} | {Cell(row, Metric.ServerCpu, Percent)} | {Cell(row, Metric.OtherCpu, Percent)} | {Cell(row, Metric.FramesPerRead, v => Number(v, "0.0"))} | {Cell(row, Metric.AllocatedBytesPerDelivery, v => Number(v, "0.0") + " B")} | {(ratio is { } r ? Number(r, "0.00") + "×" : NotMeasured)} | {(row.Passed ? "passed" : "**FAILED**")} |");
            }
        }

        md.AppendLine();
        foreach (var comparison in comparisons)
        {
            md.AppendLine(comparison.Plain is null
                ? $"At {comparison.Payload}: no plain numbers to compare with (run (a) too)."
                : $"At {comparison.Payload}: JSON = {Ratio(comparison.JsonVsPlain)} plain, SSE = {Ratio(comparison.SseVsPlain)} plain.");
        }

        md.AppendLine();
        md.AppendLine("JSON subscribers (`bridge.v1.json`, `subscribe` to the topic) get `message` envelopes that the bridge builds once per update and shares; SSE subscribers (`GET /sse`) get events built per connection by design (each event's `id` names that stream's positions), sent chunked. The plain rows are (a)'s.");
        md.AppendLine();
    }

    private static string Ratio(double? ratio) => ratio is { } r ? Number(r, "0.00") + "×" : NotMeasured;

    private static void Section(StringBuilder md, IReadOnlyList<SummaryRow> all, string scenario, string title, string[] columns, Func<SummaryRow, string[]> cells)
    {
        var rows = all.Where(r => r.Scenario == scenario).ToList();
        if (rows.Count == 0)
        {
            return;
        }

        md.AppendLine(CultureInfo.InvariantCulture, $"## {title}");
        md.AppendLine();
        md.AppendLine("| server | " + string.Join(" | ", columns) + " | checks |");
        md.AppendLine("|---|" + string.Concat(columns.Select(_ => "---:|")) + "---|");
        foreach (var row in rows)
        {
            md.AppendLine(CultureInfo.InvariantCulture, $"| {row.Server} | {string.Join(" | ", cells(row))} | {(row.Passed ? "passed" : "**FAILED**")} |");
        }

        md.AppendLine();
    }

    private static void Ratios(StringBuilder md, IReadOnlyList<SummaryRow> all, string scenario, string metric)
    {
        foreach (var variant in all.Where(r => r.Scenario == scenario).Select(r => r.Variant).Distinct())
        {
            var rows = all.Where(r => r.Scenario == scenario && r.Variant == variant).ToList();
            var bridge = rows.FirstOrDefault(r => r.Server == "bridge")?.Median(metric);
            if (bridge is not > 0)
            {
                continue;
            }

            var ratios = rows.Where(r => r.Server != "bridge" && r.Median(metric) is > 0)
                .Select(r => string.Create(CultureInfo.InvariantCulture, $"{bridge / r.Median(metric):0.00}× {r.Server}"));
            md.AppendLine(CultureInfo.InvariantCulture, $"Bridge at {variant}: {string.Join(", ", ratios)}.");
        }

        md.AppendLine();
    }

    private static string Cell(SummaryRow row, string metric, Func<double, string> format) =>
        row.Median(metric) is { } value ? format(value) : NotMeasured;

    /// <summary>The median, with the range over the repetitions when there are several.</summary>
    private static string RateCell(SummaryRow row, string metric) => RateCell(row, metric, BenchConsole.Rate);

    private static string RateCell(SummaryRow row, string metric, Func<double, string> format)
    {
        if (row.Median(metric) is not { } median)
        {
            return NotMeasured;
        }

        return row.Repetitions > 1 && row.Range(metric) is { } range && range.Min != range.Max
            ? $"{format(median)} ({format(range.Min)}–{format(range.Max)})"
            : format(median);
    }

    public static string Percent(double fraction) => string.Create(CultureInfo.InvariantCulture, $"{fraction * 100:0}%");

    public static string Micro(double microseconds) => microseconds >= 1000
        ? string.Create(CultureInfo.InvariantCulture, $"{microseconds / 1000:0.00} ms")
        : string.Create(CultureInfo.InvariantCulture, $"{microseconds:0} µs");

    public static string Kib(double bytes) => string.Create(CultureInfo.InvariantCulture, $"{bytes / 1024:0.0} KiB");

    public static string Number(double value, string format) => value.ToString(format, CultureInfo.InvariantCulture);
}
