using Bridge.Benchmarks.Publishers;

namespace Bridge.Benchmarks.Scenarios;

/// <summary>
/// (a) Broadcast throughput: N subscribers on one topic, a closed loop that keeps at most W
/// messages in flight (published, not yet received by every subscriber), the same W for every
/// server; deliveries per second over the measuring window after a warm-up. (g) is the same over
/// the bridge's JSON subprotocol and SSE (<see cref="ScenarioRun.Mode"/>).
/// </summary>
internal static class ThroughputScenario
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
        run.Progress($"{settings.Subscribers} {run.Mode.ToString().ToLowerInvariant()} subscribers connected; publishing with a window of {settings.Window}");

        using var stop = new CancellationTokenSource();
        var publishing = Task.Run(() => session.Loop.RunClosedAsync(settings.Window, stop.Token), CancellationToken.None);
        try
        {
            var tracker = session.Tracker;
            string? Check() => publishing.IsCompleted ? session.Loop.Problem ?? "the publisher stopped: " + string.Join("; ", tracker.Errors.Take(3)) : null;
            await Snapshot.MeasureAsync(run, session.Server, "warm-up", settings.Warmup, () => tracker.Deliveries, "deliveries", Check, cancellationToken);
            var firstMeasured = session.Loop.Next;
            tracker.MeasureLatency(firstMeasured, long.MaxValue);
            var readsBefore = session.Pool.Reads;
            var (start, end) = await Snapshot.MeasureAsync(run, session.Server, "measuring", settings.Duration, () => tracker.Deliveries, "deliveries", Check, cancellationToken);
            tracker.MeasureLatency(firstMeasured, session.Loop.Next);
            Snapshot.Record(run.Result, start, end, Metric.DeliveriesPerSecond, Metric.AllocatedBytesPerDelivery);
            run.Result.Metrics[Metric.FramesPerRead] = (double)(end.Count - start.Count) / Math.Max(1, session.Pool.Reads - readsBefore);
            run.Result.Metrics[Metric.MessagesPerSecond] = run.Result.Metrics[Metric.DeliveriesPerSecond] / settings.Subscribers;
            run.Result.Metrics[Metric.Subscribers] = settings.Subscribers;
            run.Result.Metrics[Metric.Window] = settings.Window;
        }
        finally
        {
            await stop.CancelAsync();
            await publishing;
        }

        await session.FinishAsync(run.Result);
        run.Result.Latency = session.Tracker.Latency();
    }
}
