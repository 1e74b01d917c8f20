using Bridge.Benchmarks.Publishers;

namespace Bridge.Benchmarks.Scenarios;

/// <summary>
/// (d) The bridge's publishing path alone: one <c>Publish</c> stream, no subscribers, updates
/// pipelined with at most a window unacknowledged and flushed every 32 updates (gRPC buffers the
/// rest, as a backend publishing in bursts would let it); acked updates per second. Every ack must
/// come back in order, without error, queued to no one.
/// </summary>
internal static class PublisherStreamScenario
{
    private const int FlushEvery = 32;

    public static async Task RunAsync(ScenarioRun run, CancellationToken cancellationToken)
    {
        var settings = run.Context.Settings;
        await using var server = await run.Server.StartAsync(run.Context, cancellationToken);
        var publisher = BridgePublisher.Connect(server.GrpcPort, Servers.BridgeServer.Topic, run.PayloadSize);
        await using var _ = publisher;
        publisher.ExpectedRecipients = 0;

        using var stop = new CancellationTokenSource();
        var publishing = Task.Run(() => PublishAsync(publisher, settings.PublisherWindow, stop.Token), CancellationToken.None);
        try
        {
            string? Check() => publishing.IsCompleted || publisher.Errors.Count > 0 ? "the publisher stopped: " + string.Join("; ", publisher.Errors.Take(3)) : null;
            await Snapshot.MeasureAsync(run, server, "warm-up", settings.Warmup, () => publisher.Acked, "acks", Check, cancellationToken);
            var (start, end) = await Snapshot.MeasureAsync(run, server, "measuring", settings.Duration, () => publisher.Acked, "acks", Check, cancellationToken);
            Snapshot.Record(run.Result, start, end, Metric.AcksPerSecond, Metric.AllocatedBytesPerMessage);
            run.Result.Metrics[Metric.Window] = settings.PublisherWindow;
        }
        finally
        {
            await stop.CancelAsync();
            await publishing;
        }

        if (!await publisher.DrainAsync(TimeSpan.FromSeconds(15)))
        {
            run.Result.Fail($"{publisher.Sent - publisher.Acked} update(s) were never acked");
        }

        run.Result.FailAll(publisher.Errors, "publisher: ");
    }

    private static async Task PublishAsync(BridgePublisher publisher, int window, CancellationToken stop)
    {
        long index = 0;
        while (!stop.IsCancellationRequested)
        {
            if (publisher.Sent - publisher.Acked >= window &&
                !await publisher.WaitForAcksAsync(publisher.Sent - window + 1, TimeSpan.FromSeconds(15), CancellationToken.None))
            {
                return;
            }

            // A backend that publishes in bursts lets gRPC batch: flush every 32 updates, and whenever the window is about to fill.
            var flush = (index + 1) % FlushEvery == 0 || publisher.Sent + 1 - publisher.Acked >= window;
            await publisher.PublishAsync(index++, flush, CancellationToken.None);
        }
    }
}
