using System.Diagnostics;
using Bridge.Benchmarks.Infrastructure;
using Bridge.Benchmarks.Reporting;
using Bridge.Benchmarks.Servers;

namespace Bridge.Benchmarks.Scenarios;

/// <summary>The clocks and counters at one instant: wall time, CPU of generator and server, the server's allocations, a count.</summary>
internal readonly record struct Snapshot(long Timestamp, double GeneratorCpu, double ServerCpu, double MachineCpu, AllocationSample? Allocations, long Count)
{
    public static Snapshot Take(ServerProcess server, long count)
    {
        AllocationSample? allocations = null;
        try
        {
            allocations = server.Probe?.Sample();
        }
        catch (Exception ex) when (ex is IOException or System.Net.Sockets.SocketException)
        {
            // Reported as "not measured".
        }

        using var self = Process.GetCurrentProcess();
        return new Snapshot(Stopwatch.GetTimestamp(), self.TotalProcessorTime.TotalSeconds, ProcStats.CpuSeconds(server.Processes()), ProcStats.MachineCpuSeconds(), allocations, count);
    }

    /// <summary>Adds rate, CPU and allocation numbers for the window from <paramref name="start"/> to <paramref name="end"/>.</summary>
    public static void Record(ScenarioResult result, Snapshot start, Snapshot end, string rateMetric, string? allocationMetric)
    {
        var seconds = Stopwatch.GetElapsedTime(start.Timestamp, end.Timestamp).TotalSeconds;
        var count = end.Count - start.Count;
        result.Metrics[rateMetric] = count / seconds;
        result.Metrics[Metric.GeneratorCpu] = (end.GeneratorCpu - start.GeneratorCpu) / seconds;
        result.Metrics[Metric.ServerCpu] = (end.ServerCpu - start.ServerCpu) / seconds;
        result.Metrics[Metric.OtherCpu] = Math.Max(0, (end.MachineCpu - start.MachineCpu) - (end.GeneratorCpu - start.GeneratorCpu) - (end.ServerCpu - start.ServerCpu)) / seconds;
        var generator = result.Metrics[Metric.GeneratorCpu];
        if (generator >= 0.9)
        {
            result.Notes.Add($"the load generator used {Tables.Percent(generator)} of its core: it was (nearly) saturated, so {rateMetric} is a lower bound for this server");
        }

        var other = result.Metrics[Metric.OtherCpu];
        if (other >= 0.2)
        {
            result.Notes.Add($"other processes used {Tables.Percent(other)} of a core during the window: the numbers were disturbed");
        }

        if (allocationMetric is not null && start.Allocations is { } a && end.Allocations is { } b && count > 0)
        {
            result.Metrics[allocationMetric] = (double)(b.AllocatedBytes - a.AllocatedBytes) / count;
            result.Metrics[Metric.Gen0PerSecond] = (b.Gen0 - a.Gen0) / seconds;
            result.Metrics[Metric.Gen2Collections] = b.Gen2 - a.Gen2;
        }
    }

    /// <summary>
    /// Waits out <paramref name="duration"/>, printing the live rate of <paramref name="counter"/> each
    /// second; returns the snapshots at both ends.
    /// </summary>
    public static async Task<(Snapshot Start, Snapshot End)> MeasureAsync(
        ScenarioRun run, ServerProcess server, string phase, TimeSpan duration, Func<long> counter, string unit, Func<string?> check, CancellationToken cancellationToken)
    {
        var start = Take(server, counter());
        var previous = start;
        var deadline = Stopwatch.GetTimestamp() + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        while (Stopwatch.GetTimestamp() < deadline)
        {
            var left = TimeSpan.FromSeconds((double)(deadline - Stopwatch.GetTimestamp()) / Stopwatch.Frequency);
            await Task.Delay(left < TimeSpan.FromSeconds(1) ? left : TimeSpan.FromSeconds(1), cancellationToken);
            var now = Take(server, counter());
            var seconds = Stopwatch.GetElapsedTime(previous.Timestamp, now.Timestamp).TotalSeconds;
            var elapsed = Stopwatch.GetElapsedTime(start.Timestamp, now.Timestamp).TotalSeconds;
            run.Progress(FormattableString.Invariant(
                $"{phase} {elapsed:0.0}/{duration.TotalSeconds:0.#} s: {BenchConsole.Rate((now.Count - previous.Count) / seconds)} {unit}/s, generator CPU {Tables.Percent((now.GeneratorCpu - previous.GeneratorCpu) / seconds)}, server CPU {Tables.Percent((now.ServerCpu - previous.ServerCpu) / seconds)}, other processes {Tables.Percent(Math.Max(0, (now.MachineCpu - previous.MachineCpu) - (now.GeneratorCpu - previous.GeneratorCpu) - (now.ServerCpu - previous.ServerCpu)) / seconds)}"));
            previous = now;
            if (check() is { } problem)
            {
                throw new ScenarioFailedException(problem);
            }
        }

        return (start, previous);
    }
}

/// <summary>A check failed in a way that ends the scenario at once.</summary>
internal sealed class ScenarioFailedException(string message) : Exception(message);
