using System.Diagnostics;
using System.Text.Json;
using Bridge.Benchmarks.Scenarios;
using HdrHistogram;

namespace Bridge.Benchmarks.Reporting;

/// <summary>results.json: the settings, every run with its numbers and checks, the medians, and latency percentile curves.</summary>
internal static class JsonReport
{
    private static readonly JsonSerializerOptions Options = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    public static void Write(RunReport report, string path)
    {
        var settings = report.Settings;
        var document = new
        {
            Started = report.Started,
            ElapsedSeconds = report.Elapsed.TotalSeconds,
            report.Passed,
            Machine = new
            {
                Cores = Environment.ProcessorCount,
                Os = System.Runtime.InteropServices.RuntimeInformation.OSDescription,
                Runtime = Environment.Version.ToString(),
                ServerBuild = report.Layout.Configuration,
            },
            Settings = new
            {
                Servers = settings.Servers.Select(s => s.ToString().ToLowerInvariant()),
                Scenarios = settings.Scenarios.Select(s => s.ToString().ToLowerInvariant()),
                settings.Repeat,
                settings.Subscribers,
                DurationSeconds = settings.Duration.TotalSeconds,
                WarmupSeconds = settings.Warmup.TotalSeconds,
                settings.Window,
                settings.PayloadSizes,
                settings.ProtocolPayloadSizes,
                settings.Rate,
                settings.SmallPayload,
                IdleConnections = IdleDensityScenario.Connections(settings),
                settings.PublisherWindow,
                settings.Browsers,
                settings.BrowserWindow,
                settings.ChurnWorkers,
                settings.ChurnSubscribers,
                settings.ChurnRate,
                Receiver = settings.Receiver.ToString().ToLowerInvariant(),
                settings.Smoke,
            },
            report.Unavailable,
            // (g) next to (a): deliveries/s and allocations of the bridge's plain, JSON and SSE subscribers, per payload size.
            ProtocolComparison = ProtocolComparison.For(report).Select(c => new
            {
                PayloadBytes = c.PayloadSize,
                PlainDeliveriesPerS = c.Plain?.Median(Metric.DeliveriesPerSecond),
                JsonDeliveriesPerS = c.Json?.Median(Metric.DeliveriesPerSecond),
                SseDeliveriesPerS = c.Sse?.Median(Metric.DeliveriesPerSecond),
                c.JsonVsPlain,
                c.SseVsPlain,
                PlainAllocBytesPerDelivery = c.Plain?.Median(Metric.AllocatedBytesPerDelivery),
                JsonAllocBytesPerDelivery = c.Json?.Median(Metric.AllocatedBytesPerDelivery),
                SseAllocBytesPerDelivery = c.Sse?.Median(Metric.AllocatedBytesPerDelivery),
            }),
            Summary = report.Summary().Select(row => new
            {
                row.Scenario,
                row.Variant,
                row.Server,
                row.Passed,
                row.Repetitions,
                Medians = row.Runs.SelectMany(r => r.Metrics.Keys).Distinct().ToDictionary(k => k, k => row.Median(k)),
            }),
            Runs = report.Results.Select(r => new
            {
                r.Server,
                r.Scenario,
                r.Variant,
                r.Repetition,
                r.Passed,
                r.Seconds,
                r.Metrics,
                r.Errors,
                r.Notes,
                LatencyPercentilesUs = r.Latency is { TotalCount: > 0 } latency ? Curve(latency) : null,
            }),
        };
        File.WriteAllText(path, JsonSerializer.Serialize(document, Options));
    }

    /// <summary>(percentile, microseconds) points from 0 to 99.99 %, denser towards the tail.</summary>
    public static IReadOnlyList<double[]> Curve(LongHistogram latency)
    {
        var points = new List<double[]>();
        for (var k = 0; k <= 80; k++)
        {
            var percentile = 100 * (1 - Math.Pow(10, -k / 20.0));
            points.Add([Math.Round(percentile, 4), latency.GetValueAtPercentile(percentile) * 1e6 / Stopwatch.Frequency]);
        }

        points.Add([100, latency.GetMaxValue() * 1e6 / Stopwatch.Frequency]);
        return points;
    }
}
