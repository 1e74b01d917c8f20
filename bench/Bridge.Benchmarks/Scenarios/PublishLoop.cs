using System.Diagnostics;
using Bridge.Benchmarks.Load;
using Bridge.Benchmarks.Publishers;

namespace Bridge.Benchmarks.Scenarios;

/// <summary>
/// Publishes consecutive message indexes through one publisher, arming the tracker before each:
/// first priming, then either a closed loop (a window of messages in flight) or a fixed rate.
/// </summary>
internal sealed class PublishLoop(IPublisher publisher, DeliveryTracker tracker)
{
    private static readonly TimeSpan StallTimeout = TimeSpan.FromSeconds(15);
    private long _next;
    private long _maxLagTicks;

    /// <summary>The index the next message gets.</summary>
    public long Next => Volatile.Read(ref _next);

    /// <summary>The last index published; -1 before any.</summary>
    public long LastSent => Next - 1;

    /// <summary>How far behind its schedule the rate loop fell at worst.</summary>
    public TimeSpan MaxLag => Stopwatch.GetElapsedTime(0, Volatile.Read(ref _maxLagTicks));

    /// <summary>Why the loop stopped early, if it did.</summary>
    public string? Problem { get; private set; }

    /// <summary>
    /// Publishes until <paramref name="subscribers"/> subscribers have each received a message, then
    /// one more that all of them must receive: from there on every subscriber must get every
    /// message. (Servers such as SignalR join a subscriber to its group only after the handshake.)
    /// </summary>
    public async Task PrimeAsync(int subscribers, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (tracker.Started < subscribers)
        {
            if (DateTime.UtcNow > deadline || tracker.ErrorCount > 0)
            {
                throw new ScenarioFailedException($"priming: only {tracker.Started} of {subscribers} subscribers received a message within {timeout.TotalSeconds:0} s");
            }

            await PublishOneAsync(cancellationToken);
            await Task.Delay(20, cancellationToken);
        }

        await PublishOneAsync(cancellationToken);
        if (!await tracker.WaitForCompletionAsync(LastSent, timeout, cancellationToken))
        {
            throw new ScenarioFailedException($"priming: message {LastSent} did not reach all {subscribers} subscribers within {timeout.TotalSeconds:0} s");
        }
    }

    /// <summary>Publishes while at most <paramref name="window"/> messages are in flight, until <paramref name="stop"/>.</summary>
    public async Task RunClosedAsync(int window, CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            var waitingSince = DateTime.UtcNow;
            while (LastSent - tracker.CompletedThrough >= window)
            {
                if (stop.IsCancellationRequested || tracker.ErrorCount > 0)
                {
                    return;
                }

                if (DateTime.UtcNow - waitingSince > StallTimeout)
                {
                    Problem = $"stalled: message {tracker.CompletedThrough + 1} did not reach every subscriber within {StallTimeout.TotalSeconds:0} s";
                    return;
                }

                await tracker.WaitForProgressAsync(TimeSpan.FromMilliseconds(100), CancellationToken.None);
            }

            await PublishOneAsync(CancellationToken.None);
        }
    }

    /// <summary>Publishes <paramref name="rate"/> messages per second on a fixed schedule, until <paramref name="stop"/>.</summary>
    public async Task RunAtRateAsync(int rate, CancellationToken stop)
    {
        var interval = (double)Stopwatch.Frequency / rate;
        var start = Stopwatch.GetTimestamp();
        long count = 0;
        while (!stop.IsCancellationRequested)
        {
            var due = start + (long)(count * interval);
            var now = Stopwatch.GetTimestamp();
            if (now < due)
            {
                var milliseconds = Math.Max(1, (int)Math.Ceiling((due - now) * 1000.0 / Stopwatch.Frequency));
                await Task.Delay(milliseconds, CancellationToken.None);
                continue;
            }

            if (now - due > Volatile.Read(ref _maxLagTicks))
            {
                Volatile.Write(ref _maxLagTicks, now - due);
            }

            if (LastSent - tracker.CompletedThrough >= tracker.Capacity / 2)
            {
                Problem = $"the server fell {LastSent - tracker.CompletedThrough} messages behind the offered rate";
                return;
            }

            if (tracker.ErrorCount > 0)
            {
                return;
            }

            await PublishOneAsync(CancellationToken.None);
            count++;
        }
    }

    private async Task PublishOneAsync(CancellationToken cancellationToken)
    {
        var index = Next;
        tracker.Arm(index);
        await publisher.PublishAsync(index, cancellationToken);
        Volatile.Write(ref _next, index + 1);
    }
}
