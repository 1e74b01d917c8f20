using Bridge.Benchmarks.Cli;
using Bridge.Benchmarks.Infrastructure;
using Bridge.Benchmarks.Scenarios;

namespace Bridge.Benchmarks.Reporting;

/// <summary>Everything a run produced, and the medians over its repetitions.</summary>
internal sealed class RunReport(
    BenchSettings settings,
    RepoLayout layout,
    DateTimeOffset started,
    TimeSpan elapsed,
    IReadOnlyList<ScenarioResult> results,
    IReadOnlyDictionary<string, string> unavailable)
{
    public BenchSettings Settings { get; } = settings;

    public RepoLayout Layout { get; } = layout;

    public DateTimeOffset Started { get; } = started;

    public TimeSpan Elapsed { get; } = elapsed;

    public IReadOnlyList<ScenarioResult> Results { get; } = results;

    /// <summary>Servers that were asked for but could not run, and why.</summary>
    public IReadOnlyDictionary<string, string> Unavailable { get; } = unavailable;

    public bool Passed => Unavailable.Count == 0 && Results.All(r => r.Passed);

    /// <summary>One row per scenario, variant and server: the median of each number over the repetitions.</summary>
    public IReadOnlyList<SummaryRow> Summary() =>
        [.. Results
            .GroupBy(r => (r.Scenario, r.Variant, r.Server))
            .Select(g => new SummaryRow(g.Key.Scenario, g.Key.Variant, g.Key.Server, [.. g]))];
}

/// <summary>The repetitions of one scenario, variant and server.</summary>
internal sealed class SummaryRow(string scenario, string variant, string server, IReadOnlyList<ScenarioResult> runs)
{
    public string Scenario { get; } = scenario;

    public string Variant { get; } = variant;

    public string Server { get; } = server;

    public IReadOnlyList<ScenarioResult> Runs { get; } = runs;

    public bool Passed => Runs.All(r => r.Passed);

    public int Repetitions => Runs.Count;

    /// <summary>The median over the repetitions that have the number, or null.</summary>
    public double? Median(string metric)
    {
        var values = Runs.Where(r => r.Metrics.ContainsKey(metric)).Select(r => r.Metrics[metric]).Order().ToArray();
        if (values.Length == 0)
        {
            return null;
        }

        return values.Length % 2 == 1 ? values[values.Length / 2] : (values[(values.Length / 2) - 1] + values[values.Length / 2]) / 2;
    }

    public (double Min, double Max)? Range(string metric)
    {
        var values = Runs.Where(r => r.Metrics.ContainsKey(metric)).Select(r => r.Metrics[metric]).ToArray();
        return values.Length == 0 ? null : (values.Min(), values.Max());
    }

    /// <summary>The run whose <paramref name="metric"/> is the median (for charts that need one run's histogram).</summary>
    public ScenarioResult? MedianRun(string metric)
    {
        var ordered = Runs.Where(r => r.Metrics.ContainsKey(metric) && r.Latency is not null).OrderBy(r => r.Metrics[metric]).ToArray();
        return ordered.Length == 0 ? null : ordered[(ordered.Length - 1) / 2];
    }
}
