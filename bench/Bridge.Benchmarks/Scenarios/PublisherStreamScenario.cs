using Bridge.Benchmarks.Publishers;

namespace Bridge.Benchmarks.Scenarios;

/// <summary>
/// (d) The bridge's publishing path alone: one <c>Publish</c> stream, no subscribers, updates
/// pipelined with at most a window unacknowledged, sent in bursts of up to 64 by
/// <see cref="RawGrpcPublisher"/> (the .NET gRPC client cannot generate this load); acked updates
/// per second. Every ack must come back in order, without error, queued to no one.
/// </summary>
internal static class PublisherStreamScenario
{
    private const int BurstLength = 64;

    public static async Task RunAsync(ScenarioRun run, CancellationToken cancellationToken)
    {
        var settings = run.Context.Settings;
        await using var server = await run.Server.StartAsync(run.Context, cancellationToken);
        var publisher = await RawGrpcPublisher.ConnectAsync(server.GrpcPort, Servers.BridgeServer.Topic, run.PayloadSize, cancellationToken);
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

    private static async Task PublishAsync(RawGrpcPublisher publisher, int window, CancellationToken stop)
    {
        long index = 0;
        while (!stop.IsCancellationRequested)
        {
            var room = window - (publisher.Sent - publisher.Acked);
            if (room <= 0)
            {
                if (!await publisher.WaitForAcksAsync(publisher.Sent - window + 1, TimeSpan.FromSeconds(15), CancellationToken.None))
                {
                    return;
                }

                continue;
            }

            // A backend that publishes in bursts: up to 64 updates per flush, as many as the window has room for.
            for (var i = 0; i < Math.Min(room, BurstLength); i++)
            {
                publisher.Append(index++);
            }

            await publisher.FlushAsync(CancellationToken.None);
        }
    }
}
