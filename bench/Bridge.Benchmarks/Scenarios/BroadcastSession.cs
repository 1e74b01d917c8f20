using Bridge.Benchmarks.Load;
using Bridge.Benchmarks.Publishers;
using Bridge.Benchmarks.Servers;

namespace Bridge.Benchmarks.Scenarios;

/// <summary>
/// A started server with subscribers and a publisher: the set-up of the broadcast scenarios (a),
/// (b), (c), (g) and of the steady subscribers in (f). Disposing tears all of it down, server last.
/// </summary>
internal sealed class BroadcastSession : IAsyncDisposable
{
    private readonly ScenarioRun _run;
    private readonly SubscriberProtocol _subscribers;
    private PublishLoop? _loop;

    private BroadcastSession(ScenarioRun run, ServerProcess server, int capacity)
    {
        _run = run;
        Server = server;
        _subscribers = run.Server.Subscribers(run.Mode);
        Pool = new SubscriberPool(run.Context.Settings.Receiver, _subscribers.CreateReader(Tracker), capacity);
        if (run.Server.SubscriberKeepAlive is { } keepAlive)
        {
            Pool.StartKeepAlive(keepAlive, TimeSpan.FromSeconds(10));
        }
    }

    public ServerProcess Server { get; }

    public DeliveryTracker Tracker { get; } = new();

    public SubscriberPool Pool { get; }

    public IPublisher? Publisher { get; private set; }

    public PublishLoop Loop => _loop ?? throw new InvalidOperationException("no publisher yet");

    public static async Task<BroadcastSession> StartAsync(ScenarioRun run, int capacity, CancellationToken cancellationToken)
    {
        var server = await run.Server.StartAsync(run.Context, cancellationToken);
        return new BroadcastSession(run, server, capacity);
    }

    /// <summary>
    /// Connects <paramref name="count"/> more subscribers and waits until each is subscribed (at once
    /// for plain WebSockets); every message armed from now on must reach all of them.
    /// </summary>
    public async Task AddSubscribersAsync(int count, CancellationToken cancellationToken)
    {
        await Pool.ConnectAsync(count, ScenarioRun.EndPoint(Server), _subscribers, cancellationToken);
        if (!await Pool.WaitUntilReadyAsync(TimeSpan.FromSeconds(30), cancellationToken))
        {
            throw new ScenarioFailedException($"{Pool.Subscribers.Count(s => !s.Ready)} of {Pool.Count} subscribers were not subscribed within 30 s: {string.Join("; ", Tracker.Errors.Take(3))}");
        }

        Tracker.Recipients = Pool.Count;
    }

    public async Task ConnectPublisherAsync(int payloadSize, CancellationToken cancellationToken)
    {
        Publisher = await _run.Server.ConnectPublisherAsync(Server, payloadSize, cancellationToken);
        _loop = new PublishLoop(Publisher, Tracker);
    }

    /// <summary>
    /// After publishing stopped: waits until every subscriber has the last message and the server
    /// answered every publish, then records every failed check in the result.
    /// </summary>
    public async Task FinishAsync(ScenarioResult result)
    {
        var last = _loop?.LastSent ?? -1;
        if (!await WaitWhileProgressingAsync(last))
        {
            result.Fail($"message {Tracker.CompletedThrough + 1} had not reached every subscriber, and nothing was delivered for {Stalled.TotalSeconds:0} s, after publishing stopped");
        }

        if (Publisher is not null && !await Publisher.DrainAsync(TimeSpan.FromSeconds(15)))
        {
            result.Fail("the server did not answer every publish within 15 s");
        }

        if (_loop?.Problem is { } problem)
        {
            result.Fail(problem);
        }

        result.FailAll(Tracker.Errors);
        result.FailAll(Pool.CheckReceivedThrough(last));
        result.FailAll(Publisher?.Errors ?? [], "publisher: ");
        if (Tracker.ErrorCount > Tracker.Errors.Count)
        {
            result.Fail($"... {Tracker.ErrorCount} delivery errors in all");
        }

        if (Server.HasExited)
        {
            result.Fail($"the server exited. Its output:\n{Server.RecentOutput}");
        }
    }

    /// <summary>How long deliveries may pause, after publishing stopped, before the rest counts as lost.</summary>
    private static readonly TimeSpan Stalled = TimeSpan.FromSeconds(15);

    /// <summary>Waits for every subscriber to get <paramref name="last"/>, for as long as deliveries go on (at most 2 min).</summary>
    private async Task<bool> WaitWhileProgressingAsync(long last)
    {
        var giveUp = DateTime.UtcNow + TimeSpan.FromMinutes(2);
        var delivered = -1L;
        while (DateTime.UtcNow < giveUp && delivered != Tracker.Deliveries)
        {
            delivered = Tracker.Deliveries;
            if (await Tracker.WaitForCompletionAsync(last, Stalled, CancellationToken.None))
            {
                return true;
            }

            if (Tracker.ErrorCount > 0)
            {
                return false;
            }
        }

        return Tracker.CompletedThrough >= last;
    }

    public async ValueTask DisposeAsync()
    {
        if (Publisher is not null)
        {
            await Publisher.DisposeAsync();
        }

        Pool.Dispose();
        Tracker.Dispose();
        await Server.DisposeAsync();
    }
}
