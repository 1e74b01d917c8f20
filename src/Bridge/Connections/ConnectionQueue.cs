using Bridge.Configuration;

namespace Bridge.Connections;

/// <summary>
/// A connection's bounded send queue: many producers (fan-out, replies, the connection's own
/// request handling), one consumer (its sender loop). Producers never wait. When the queue is full
/// an update follows its topic's <see cref="SlowConsumerPolicy"/>.
/// </summary>
/// <remarks>
/// Overflow with <see cref="SlowConsumerPolicy.DropOldest"/> or <see cref="SlowConsumerPolicy.Conflate"/>
/// when no update of the same topic is queued still queues the new update, so the queue can exceed
/// its length by at most one update per subscribed topic; dropping the newest instead would leave
/// a conflated topic's client on a stale value for good. Envelopes (answers, heartbeats) may use
/// <see cref="EnvelopeHeadroom"/> entries beyond the length.
/// </remarks>
/// <param name="capacity">The queue's length (<c>Bridge:SendQueueLength</c>).</param>
/// <param name="replayLimit">Messages that queued replays may hold at once; more counts as overflow, so a client that resubscribes without reading cannot pile up history.</param>
internal sealed class ConnectionQueue(int capacity, int replayLimit)
{
    /// <summary>Extra entries allowed beyond the queue's length for what is not a live update: answers, heartbeats, replays, latest values.</summary>
    public const int EnvelopeHeadroom = 16;

    private readonly Lock _gate = new();
    private readonly AsyncSignal _doorbell = new();
    // Allocated on first use and grown as needed: most connections are idle most of the time.
    private QueuedItem[] _ring = [];
    private int _head;
    private int _count;
    private bool _completed;
    private bool _readerWaiting;
    private int _replayedMessages;

    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _count;
            }
        }
    }

    public EnqueueOutcome TryEnqueue(QueuedItem item, SlowConsumerPolicy policy)
    {
        EnqueueOutcome outcome;
        bool wake;
        lock (_gate)
        {
            if (_completed)
            {
                return EnqueueOutcome.Closed;
            }

            outcome = _count < capacity || item.Message is not { IsDirect: false } message
                ? Append(item, policy)
                : Overflow(item, message.Topic, policy);
            wake = outcome != EnqueueOutcome.Overflow && _readerWaiting;
            if (wake)
            {
                _readerWaiting = false;
            }
        }

        if (wake)
        {
            _doorbell.Set();
        }

        return outcome;
    }

    /// <summary>Waits until something is queued; false once the queue is completed and empty.</summary>
    /// <remarks>
    /// Not an async method: the waiting connection awaits the doorbell itself, so an idle connection
    /// holds no state machine for this wait. A wake-up may find the queue empty (it was completed);
    /// the reader then drains nothing and asks again.
    /// </remarks>
    public ValueTask<bool> WaitToReadAsync()
    {
        lock (_gate)
        {
            if (_count > 0)
            {
                return new(true);
            }

            if (_completed)
            {
                return new(false);
            }

            _readerWaiting = true;
        }

        return _doorbell.WaitAsync();
    }

    /// <summary>Moves everything queued into <paramref name="batch"/>, oldest first.</summary>
    public void DrainTo(List<QueuedItem> batch)
    {
        lock (_gate)
        {
            for (var i = 0; i < _count; i++)
            {
                ref var slot = ref _ring[(_head + i) % _ring.Length];
                batch.Add(slot);
                slot = default;
            }

            _head = 0;
            _count = 0;
            _replayedMessages = 0;
        }
    }

    /// <summary>No more items are accepted; the reader sees the end once the queue is empty (at once when <paramref name="discard"/>).</summary>
    public void Complete(bool discard)
    {
        bool wake;
        lock (_gate)
        {
            _completed = true;
            if (discard)
            {
                Array.Clear(_ring);
                _head = 0;
                _count = 0;
                _replayedMessages = 0;
            }

            wake = _readerWaiting;
            _readerWaiting = false;
        }

        if (wake)
        {
            _doorbell.Set();
        }
    }

    private EnqueueOutcome Append(QueuedItem item, SlowConsumerPolicy policy)
    {
        // What the client asked for (answers, a replay, a subscription's latest value) gets a little
        // headroom: on drop-oldest and conflate topics a lagging client's queue sits at its length,
        // and with a tiny queue a subscription's answer alone would fill it; neither may close it.
        var limit = item.IsLive ? capacity : capacity + EnvelopeHeadroom;
        if (_count >= limit && policy == SlowConsumerPolicy.Disconnect)
        {
            return EnqueueOutcome.Overflow;
        }

        if (item.Replay is { } replay)
        {
            if (_replayedMessages + replay.Length > Math.Max(replayLimit, replay.Length) && _replayedMessages > 0)
            {
                return EnqueueOutcome.Overflow;
            }

            _replayedMessages += replay.Length;
        }

        if (_count == _ring.Length)
        {
            var bigger = new QueuedItem[Math.Max(8, _ring.Length * 2)];
            for (var i = 0; i < _count; i++)
            {
                bigger[i] = _ring[(_head + i) % _ring.Length];
            }

            _ring = bigger;
            _head = 0;
        }

        _ring[(_head + _count) % _ring.Length] = item;
        _count++;
        return EnqueueOutcome.Queued;
    }

    private EnqueueOutcome Overflow(QueuedItem item, string topic, SlowConsumerPolicy policy)
    {
        switch (policy)
        {
            case SlowConsumerPolicy.DropOldest when IndexOf(topic, fromOldest: true, start: 0) is var oldest and >= 0:
            {
                var carried = At(oldest).Skipped + 1;
                RemoveAt(oldest);
                // The gap is reported by the next update of the topic that the client will see.
                var next = IndexOf(topic, fromOldest: true, start: oldest);
                if (next >= 0)
                {
                    At(next) = At(next).PlusSkipped(carried);
                    Append(item, policy);
                }
                else
                {
                    Append(item.PlusSkipped(carried), policy);
                }

                return EnqueueOutcome.Dropped;
            }

            case SlowConsumerPolicy.Conflate when IndexOf(topic, fromOldest: false, start: 0) is var newest and >= 0:
                At(newest) = QueuedItem.Update(item.Message!, At(newest).Skipped + 1 + item.Skipped);
                return EnqueueOutcome.Conflated;

            default:
                // Disconnect, or nothing of this topic queued to drop or replace.
                return Append(item, policy);
        }
    }

    private ref QueuedItem At(int index) => ref _ring[(_head + index) % _ring.Length];

    /// <summary>
    /// The oldest or newest replaceable update of <paramref name="topic"/> since the topic's last
    /// subscription boundary (from <paramref name="start"/> when scanning from the oldest), or -1.
    /// </summary>
    private int IndexOf(string topic, bool fromOldest, int start)
    {
        if (fromOldest)
        {
            for (var i = _count - 1; i >= start; i--)
            {
                if (At(i).Boundary == topic)
                {
                    start = i + 1;
                    break;
                }
            }

            for (var i = start; i < _count; i++)
            {
                if (At(i).IsReplaceableUpdateOf(topic))
                {
                    return i;
                }
            }
        }
        else
        {
            for (var i = _count - 1; i >= start; i--)
            {
                if (At(i).Boundary == topic)
                {
                    return -1;
                }

                if (At(i).IsReplaceableUpdateOf(topic))
                {
                    return i;
                }
            }
        }

        return -1;
    }

    private void RemoveAt(int index)
    {
        for (var i = index; i < _count - 1; i++)
        {
            At(i) = At(i + 1);
        }

        At(_count - 1) = default;
        _count--;
    }
}

/// <summary>What <see cref="ConnectionQueue.TryEnqueue"/> did.</summary>
internal enum EnqueueOutcome
{
    /// <summary>Queued.</summary>
    Queued,

    /// <summary>Queued after dropping the oldest queued update of the same topic.</summary>
    Dropped,

    /// <summary>Replaced the newest queued update of the same topic.</summary>
    Conflated,

    /// <summary>Not queued: full, and the policy is to disconnect.</summary>
    Overflow,

    /// <summary>Not queued: the connection is closing.</summary>
    Closed,
}
