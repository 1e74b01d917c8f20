using System.Diagnostics;
using Bridge.Benchmarks.Publishers;
using HdrHistogram;

namespace Bridge.Benchmarks.Scenarios;

/// <summary>
/// (b) Latency at a fixed load: N subscribers, messages published on a fixed schedule (the offered
/// rate); publish→receive latency of every delivery of the measuring window, from the time
/// stamped into each payload when it was handed to the transport.
/// </summary>
/// <remarks>
/// The stamp is the actual send time, not the scheduled one; a server that cannot keep up shows
/// as an achieved rate below the offered one and a schedule lag, both reported.
/// </remarks>
internal static class LatencyScenario
{
    public static async Task RunAsync(ScenarioRun run, CancellationToken cancellationToken)
    {
        var settings = run.Context.Settings;
        await using var session = await BroadcastSession.StartAsync(run, settings.Subscribers, cancellationToken);
        await session.AddSubscribersAsync(settings.Subscribers, cancellationToken);
        await session.ConnectPublisherAsync(run.PayloadSize, cancellationToken);
        if (session.Publisher is BridgePublisher bridge)
        {
            bridge.ExpectedRecipients = settings.Subscribers;
        }

        await session.Loop.PrimeAsync(settings.Subscribers, TimeSpan.FromSeconds(30), cancellationToken);
        run.Progress($"{settings.Subscribers} subscribers connected; publishing {settings.Rate} messages/s");

        using var stop = new CancellationTokenSource();
        var publishing = Task.Run(() => session.Loop.RunAtRateAsync(settings.Rate, stop.Token), CancellationToken.None);
        var tracker = session.Tracker;
        try
        {
            string? Check() => publishing.IsCompleted ? session.Loop.Problem ?? "the publisher stopped: " + string.Join("; ", tracker.Errors.Take(3)) : null;
            await Snapshot.MeasureAsync(run, session.Server, "warm-up", settings.Warmup, () => tracker.Deliveries, "deliveries", Check, cancellationToken);
            var firstMeasured = session.Loop.Next;
            tracker.MeasureLatency(firstMeasured, long.MaxValue);
            var readsBefore = session.Pool.Reads;
            var (start, end) = await Snapshot.MeasureAsync(run, session.Server, "measuring", settings.Duration, () => tracker.Deliveries, "deliveries", Check, cancellationToken);
            var lastMeasured = session.Loop.Next;
            tracker.MeasureLatency(firstMeasured, lastMeasured);
            Snapshot.Record(run.Result, start, end, Metric.DeliveriesPerSecond, Metric.AllocatedBytesPerDelivery);
            run.Result.Metrics[Metric.FramesPerRead] = (double)(end.Count - start.Count) / Math.Max(1, session.Pool.Reads - readsBefore);
            var seconds = Stopwatch.GetElapsedTime(start.Timestamp, end.Timestamp).TotalSeconds;
            run.Result.Metrics[Metric.OfferedRate] = settings.Rate;
            run.Result.Metrics[Metric.AchievedRate] = (lastMeasured - firstMeasured) / seconds;
            run.Result.Metrics[Metric.Subscribers] = settings.Subscribers;
        }
        finally
        {
            await stop.CancelAsync();
            await publishing;
        }

        await session.FinishAsync(run.Result);
        run.Result.Metrics[Metric.MaxScheduleLag] = session.Loop.MaxLag.TotalMilliseconds;
        var latency = tracker.Latency();
        run.Result.Latency = latency;
        RecordPercentiles(run.Result, latency);
        if (run.Result.Metrics[Metric.AchievedRate] < 0.95 * settings.Rate)
        {
            run.Result.Notes.Add($"the offered rate was not sustained: {run.Result.Metrics[Metric.AchievedRate]:0} of {settings.Rate} messages/s");
        }
    }

    public static void RecordPercentiles(ScenarioResult result, LongHistogram latency)
    {
        if (latency.TotalCount == 0)
        {
            result.Fail("no latency was recorded");
            return;
        }

        static double Microseconds(long ticks) => ticks * 1e6 / Stopwatch.Frequency;
        result.Metrics[Metric.LatencyP50] = Microseconds(latency.GetValueAtPercentile(50));
        result.Metrics[Metric.LatencyP99] = Microseconds(latency.GetValueAtPercentile(99));
        result.Metrics[Metric.LatencyP999] = Microseconds(latency.GetValueAtPercentile(99.9));
        result.Metrics[Metric.LatencyMax] = Microseconds(latency.GetMaxValue());
    }
}
