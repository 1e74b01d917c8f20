using System.Collections.Concurrent;
using HdrHistogram;

namespace Bridge.Benchmarks.Load;

/// <summary>
/// What the subscribers of one scenario received, checked as it arrives: each subscriber must get
/// every message in order, without gaps or duplicates, from its first one on. Counts, per message
/// still in flight, how many subscribers have yet to receive it, so the publisher can keep a
/// window; and records publish→receive latency for the messages of the measuring window.
/// </summary>
/// <remarks>
/// Every subscriber receives in order, so a message completes (all subscribers got it) only after
/// every earlier one: completion is a single rising index.
/// </remarks>
internal sealed class DeliveryTracker : IDisposable
{
    /// <summary>Largest latency recorded, in Stopwatch ticks (1 min); larger ones are clamped.</summary>
    private static readonly long MaxLatency = System.Diagnostics.Stopwatch.Frequency * 60;

    private readonly int[] _remaining;
    private readonly int _mask;
    private readonly SemaphoreSlim _progress = new(0);
    private readonly ThreadLocal<LongHistogram> _latency = new(() => new LongHistogram(MaxLatency, 3), trackAllValues: true);
    private readonly ConcurrentQueue<string> _errors = new();
    private long _completedThrough = -1;
    private long _started;
    private long _deliveries;
    private long _errorCount;
    private long _measureFrom = long.MaxValue;
    private long _measureTo = long.MaxValue;

    public DeliveryTracker(int ringSize = 1 << 16)
    {
        _remaining = new int[ringSize];
        _mask = ringSize - 1;
    }

    /// <summary>How many subscribers each message armed from now on must reach.</summary>
    public int Recipients { get; set; }

    /// <summary>Messages that may be in flight at most (the ring's size).</summary>
    public int Capacity => _remaining.Length;

    /// <summary>The highest index that every subscriber has received.</summary>
    public long CompletedThrough => Volatile.Read(ref _completedThrough);

    /// <summary>Subscribers that have received at least one message.</summary>
    public long Started => Volatile.Read(ref _started);

    public long Deliveries => Volatile.Read(ref _deliveries);

    public long ErrorCount => Volatile.Read(ref _errorCount);

    public IReadOnlyCollection<string> Errors => _errors;

    /// <summary>Called before message <paramref name="index"/> is sent.</summary>
    public void Arm(long index) => Volatile.Write(ref _remaining[index & _mask], Recipients);

    /// <summary>Records latency for messages with index in [from, to).</summary>
    public void MeasureLatency(long from, long to)
    {
        Volatile.Write(ref _measureTo, to);
        Volatile.Write(ref _measureFrom, from);
    }

    /// <summary>Waits until some message completes (or <paramref name="timeout"/> passes).</summary>
    public Task<bool> WaitForProgressAsync(TimeSpan timeout, CancellationToken cancellationToken) =>
        _progress.WaitAsync(timeout, cancellationToken);

    /// <summary>Waits until every subscriber has received <paramref name="index"/>.</summary>
    public async Task<bool> WaitForCompletionAsync(long index, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (CompletedThrough < index)
        {
            var left = deadline - DateTime.UtcNow;
            if (left <= TimeSpan.Zero || ErrorCount > 0)
            {
                return CompletedThrough >= index;
            }

            await _progress.WaitAsync(left < TimeSpan.FromMilliseconds(50) ? left : TimeSpan.FromMilliseconds(50), cancellationToken);
        }

        return true;
    }

    /// <summary>A subscriber received a message: check its order, count it, record its latency.</summary>
    public void Deliver(Subscriber subscriber, ReadOnlySpan<byte> payload, long now)
    {
        if (!Payload.TryParse(payload, out var index, out var sentAt))
        {
            Fail($"subscriber {subscriber.Id}: a message of {payload.Length} bytes is not a benchmark payload");
            return;
        }

        var expected = subscriber.Expected;
        if (expected < 0)
        {
            Interlocked.Increment(ref _started);
        }
        else if (index != expected)
        {
            Fail(index < expected
                ? $"subscriber {subscriber.Id}: got message {index} again or out of order (expected {expected})"
                : $"subscriber {subscriber.Id}: missed messages {expected}..{index - 1}");
        }

        subscriber.Expected = index + 1;
        subscriber.Received++;
        Interlocked.Increment(ref _deliveries);

        if (index >= Volatile.Read(ref _measureFrom) && index < Volatile.Read(ref _measureTo))
        {
            _latency.Value!.RecordValue(Math.Clamp(now - sentAt, 0, MaxLatency));
        }

        if (Interlocked.Decrement(ref _remaining[index & _mask]) == 0)
        {
            // Completion is in order (see remarks); only ever raise it.
            long seen;
            do
            {
                seen = Volatile.Read(ref _completedThrough);
            }
            while (index > seen && Interlocked.CompareExchange(ref _completedThrough, index, seen) != seen);

            _progress.Release();
        }
    }

    public void Fail(string error)
    {
        if (Interlocked.Increment(ref _errorCount) <= 20)
        {
            _errors.Enqueue(error);
        }

        _progress.Release();
    }

    /// <summary>The latencies recorded so far, merged over the receiving threads, in Stopwatch ticks.</summary>
    public LongHistogram Latency()
    {
        var merged = new LongHistogram(MaxLatency, 3);
        foreach (var histogram in _latency.Values)
        {
            merged.Add(histogram);
        }

        return merged;
    }

    public void Dispose()
    {
        _progress.Dispose();
        _latency.Dispose();
    }
}
