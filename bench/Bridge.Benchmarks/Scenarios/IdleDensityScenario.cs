using Bridge.Benchmarks.Infrastructure;

namespace Bridge.Benchmarks.Scenarios;

/// <summary>
/// (c) Idle density: as many idle subscribers as the open-file limit allows; the server's resident
/// memory (VmRSS, with its child processes) grown per connection between a warm server with a few
/// connections and the same server with all of them, as the operating system sees it (garbage
/// included). For .NET servers also the managed heap alive per connection, each side measured right
/// after a full collection the allocation probe asks for (after RSS is read, so RSS is untouched).
/// Every connection must then still receive a message, so none counts that the server silently
/// dropped. RSS is user-space memory only: the kernel's socket buffers, the same for every server,
/// are not in it.
/// </summary>
internal static class IdleDensityScenario
{
    public static async Task RunAsync(ScenarioRun run, CancellationToken cancellationToken)
    {
        var total = Connections(run.Context.Settings);
        var warm = Math.Clamp(total / 10, 1, 100);
        await using var session = await BroadcastSession.StartAsync(run, total, cancellationToken);
        await session.AddSubscribersAsync(warm, cancellationToken);
        await session.ConnectPublisherAsync(run.PayloadSize, cancellationToken);
        await session.Loop.PrimeAsync(warm, TimeSpan.FromSeconds(30), cancellationToken);
        await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken);

        var before = ProcStats.RssBytes(session.Server.Processes());
        var heapBefore = session.Server.Probe?.Sample(collect: true).HeapBytes;
        run.Progress($"{warm} connections, server RSS {before / 1048576.0:0.0} MiB; connecting {total - warm} more");

        var connecting = System.Diagnostics.Stopwatch.StartNew();
        await session.AddSubscribersAsync(total - warm, cancellationToken);
        var connectSeconds = connecting.Elapsed.TotalSeconds;
        run.Progress(FormattableString.Invariant($"{total} connections open after {connectSeconds:0.0} s"));
        await session.Loop.PrimeAsync(total, TimeSpan.FromSeconds(60), cancellationToken);
        await Task.Delay(TimeSpan.FromSeconds(2), cancellationToken);

        var after = ProcStats.RssBytes(session.Server.Processes());
        var heapAfter = session.Server.Probe?.Sample(collect: true).HeapBytes;
        run.Result.Metrics[Metric.Connections] = total;
        run.Result.Metrics[Metric.RssBefore] = before;
        run.Result.Metrics[Metric.RssAfter] = after;
        run.Result.Metrics[Metric.RssPerConnection] = (double)(after - before) / (total - warm);
        run.Result.Metrics[Metric.ConnectSeconds] = connectSeconds;
        if (heapBefore is { } h0 && heapAfter is { } h1)
        {
            run.Result.Metrics[Metric.HeapPerConnection] = (double)(h1 - h0) / (total - warm);
        }

        run.Progress(FormattableString.Invariant($"server RSS {after / 1048576.0:0.0} MiB: {run.Result.Metrics[Metric.RssPerConnection] / 1024:0.0} KiB per connection; checking every connection still receives"));

        // Every connection must still be there and receive.
        for (var i = 0; i < 3; i++)
        {
            await session.Loop.PrimeAsync(total, TimeSpan.FromSeconds(30), cancellationToken);
        }

        await session.FinishAsync(run.Result);
    }

    /// <summary>The configured count, or what the open-file limit leaves room for (both ends live on this machine).</summary>
    public static int Connections(Cli.BenchSettings settings) =>
        settings.IdleConnections > 0
            ? settings.IdleConnections
            : (int)Math.Clamp(Native.OpenFileHardLimit() - 1_000, 1_000, 100_000);
}
