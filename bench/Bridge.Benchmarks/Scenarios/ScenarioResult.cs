using System.Text.Json.Serialization;
using HdrHistogram;

namespace Bridge.Benchmarks.Scenarios;

/// <summary>One scenario run against one server: its numbers and whether every check passed.</summary>
internal sealed class ScenarioResult
{
    public required string Server { get; init; }

    /// <summary>The scenario's letter, "a" … "g".</summary>
    public required string Scenario { get; init; }

    /// <summary>What varies within the scenario (the payload size; in (g) the protocol and the size, "json 64 B"), or "".</summary>
    public required string Variant { get; init; }

    public required int Repetition { get; init; }

    public bool Passed => Errors.Count == 0;

    /// <summary>Every check that failed, and any error that ended the run.</summary>
    public List<string> Errors { get; } = [];

    /// <summary>Things to know about the numbers that are not failed checks (a rate not sustained, something not measured).</summary>
    public List<string> Notes { get; } = [];

    /// <summary>The numbers, by the names in <see cref="Metric"/>.</summary>
    public Dictionary<string, double> Metrics { get; } = [];

    public double Seconds { get; set; }

    /// <summary>Publish→receive latency in Stopwatch ticks, where the scenario records it.</summary>
    [JsonIgnore]
    public LongHistogram? Latency { get; set; }

    public void Fail(string error)
    {
        if (Errors.Count < 50)
        {
            Errors.Add(error);
        }
    }

    public void FailAll(IEnumerable<string> errors, string? prefix = null)
    {
        foreach (var error in errors.Take(20))
        {
            Fail(prefix is null ? error : prefix + error);
        }
    }
}

/// <summary>Names of the numbers a result can hold.</summary>
internal static class Metric
{
    public const string DeliveriesPerSecond = "deliveries_per_s";
    public const string MessagesPerSecond = "messages_per_s";
    public const string GeneratorCpu = "generator_cpu";
    public const string ServerCpu = "server_cpu";

    /// <summary>CPU used by everything else on the machine meanwhile (both cores; 1 = one core): other work disturbing the numbers.</summary>
    public const string OtherCpu = "other_cpu";

    /// <summary>Messages the generator got per socket read: low means it pays a system call per message.</summary>
    public const string FramesPerRead = "frames_per_read";
    public const string AllocatedBytesPerDelivery = "alloc_bytes_per_delivery";
    public const string AllocatedBytesPerMessage = "alloc_bytes_per_message";
    public const string Gen0PerSecond = "gen0_per_s";
    public const string Gen2Collections = "gen2_collections";
    public const string LatencyP50 = "latency_p50_us";
    public const string LatencyP99 = "latency_p99_us";
    public const string LatencyP999 = "latency_p999_us";
    public const string LatencyMax = "latency_max_us";
    public const string OfferedRate = "offered_per_s";
    public const string AchievedRate = "achieved_per_s";
    public const string MaxScheduleLag = "max_schedule_lag_ms";
    public const string Connections = "connections";
    public const string RssPerConnection = "rss_bytes_per_connection";
    public const string RssBefore = "rss_before_bytes";
    public const string RssAfter = "rss_after_bytes";
    /// <summary>Managed heap alive per connection, after full collections (.NET servers).</summary>
    public const string HeapPerConnection = "live_heap_bytes_per_connection";
    public const string ConnectSeconds = "connect_seconds";
    public const string AcksPerSecond = "acks_per_s";
    public const string ClientMessagesPerSecond = "client_messages_per_s";
    public const string ChurnPerSecond = "churn_cycles_per_s";
    public const string Subscribers = "subscribers";
    public const string Window = "window";
}
