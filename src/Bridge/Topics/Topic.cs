using Bridge.Connections;

namespace Bridge.Topics;

/// <summary>
/// One topic's state: its position (sequence and epoch), history, kept latest value and local subscribers.
/// </summary>
/// <remarks>
/// Thread-safety: every change happens under <see cref="Gate"/>. Assigning the next sequence,
/// appending to history and queueing to the subscribers are one atomic step, and so are joining,
/// reading the history for a replay and queueing that replay: a subscriber gets each update exactly
/// once, either in its replay or live. A topic removed from
/// its registry is <see cref="Retired"/>; whoever holds a retired instance looks the topic up again
/// (and gets a new epoch).
/// </remarks>
internal sealed class Topic(string name, TopicPolicy policy, int historyCapacity, long createdAt)
{
    public string Name { get; } = name;

    public TopicPolicy Policy { get; } = policy;

    /// <summary>Random per instance: a topic evicted and created again can never be mistaken for the old one.</summary>
    public string Epoch { get; } = TopicPosition.NewEpoch();

    /// <summary>Lock for positions, history, fan-out and subscriber changes.</summary>
    public Lock Gate { get; } = new();

    /// <summary>The sequence of the last accepted publication; 0 before the first.</summary>
    public ulong LastSequence { get; private set; }

    public TopicHistory History { get; } = new(historyCapacity);

    /// <summary>The last update, when the policy keeps it.</summary>
    public TopicMessage? Latest { get; private set; }

    private readonly SubscriberList<ClientConnection> _subscribers = new();

    /// <summary>How many local subscribers the topic has (read without the gate: a snapshot).</summary>
    public int SubscriberCount => _subscribers.Count;

    /// <summary>Timestamp of the last publication or subscriber change.</summary>
    public long LastActive { get; private set; } = createdAt;

    /// <summary>Set, under <see cref="Gate"/>, once the topic was removed from its registry.</summary>
    public bool Retired { get; private set; }

    /// <summary>Memory the topic's own state costs besides its messages, for the history budget.</summary>
    public long OverheadBytes => 320 + 2L * Name.Length;

    /// <summary>
    /// Estimated bytes retained: history, the latest value when history no longer holds it, and
    /// the topic's own state once it has been used (charged on first publication or subscription).
    /// </summary>
    public long RetainedBytes => History.Bytes + (Latest is { } latest && History.Count == 0 ? latest.RetainedBytes : 0) + (_charged ? OverheadBytes : 0);

    private bool _charged;

    /// <summary>Whether it keeps something worth evicting last: history or a latest value.</summary>
    public bool HoldsMessages => History.Count > 0 || Latest is not null;

    /// <summary>Assigns the next position, retains and fans out. Call under <see cref="Gate"/> on a topic that is not retired.</summary>
    /// <param name="retainedDelta">How much the retained bytes changed.</param>
    public TopicMessage Publish(Connections.OutboundFrame frame, long now, out int recipients, out long retainedDelta)
    {
        var before = RetainedBytes;
        var message = new TopicMessage(Name, ++LastSequence, Epoch, frame, now);
        LastActive = now;
        _charged = true;
        History.Append(message);
        if (Policy.KeepLatest)
        {
            Latest = message;
        }

        retainedDelta = RetainedBytes - before;

        recipients = 0;
        foreach (var subscriber in _subscribers.AsSpan())
        {
            if (subscriber.Deliver(message, Policy.SlowConsumer))
            {
                recipients++;
            }
        }

        return message;
    }

    /// <summary>Joins the topic and hands the connection what it must receive first.</summary>
    /// <param name="retainedDelta">How much the retained bytes changed (the topic's state, on its first use).</param>
    /// <returns>False if the topic was retired and the caller must look it up again.</returns>
    public bool TrySubscribe(ClientConnection connection, in SubscriptionRequest request, long now, out long retainedDelta)
    {
        lock (Gate)
        {
            retainedDelta = 0;
            if (Retired)
            {
                return false;
            }

            _subscribers.Add(connection);
            LastActive = now;
            if (!_charged)
            {
                _charged = true;
                retainedDelta = OverheadBytes;
            }

            bool? recovered = null;
            TopicMessage[] replay = [];
            if (request.Since is { } since)
            {
                recovered = since.Epoch == Epoch && History.TryGetAfter(since.Sequence, LastSequence, out replay);
            }

            var latest = recovered == true ? null : Latest;
            connection.OnSubscribed(new SubscriptionStart(request, new TopicPosition(LastSequence, Epoch), recovered, replay, latest, Policy));
            return true;
        }
    }

    public void Remove(ClientConnection connection, long now)
    {
        lock (Gate)
        {
            if (_subscribers.Remove(connection))
            {
                LastActive = now;
            }
        }
    }

    /// <summary>
    /// Expires history older than <paramref name="cutoff"/>, then retires the topic if nobody
    /// subscribes and it has been idle since before <paramref name="cutoff"/> with nothing left to
    /// keep (or at once when <paramref name="force"/>, under memory pressure).
    /// </summary>
    /// <param name="retainedDelta">How much the retained bytes changed (negative), including the whole topic when retired.</param>
    /// <returns>Whether the topic was retired.</returns>
    public bool TrimOrRetire(long cutoff, bool force, Action<Topic> removeFromRegistry, out long retainedDelta)
    {
        lock (Gate)
        {
            retainedDelta = 0;
            if (Retired)
            {
                return false;
            }

            var before = RetainedBytes;
            History.TrimOlderThan(cutoff);
            var idle = _subscribers.Count == 0 && (force || (LastActive < cutoff && Latest is null));
            if (!idle)
            {
                retainedDelta = RetainedBytes - before;
                return false;
            }

            retainedDelta = -before;
            Retired = true;
            removeFromRegistry(this);
            return true;
        }
    }

    /// <summary>Under memory pressure: drops the oldest half of the history. Returns the change in retained bytes.</summary>
    public long TrimHistory()
    {
        lock (Gate)
        {
            if (Retired)
            {
                return 0;
            }

            var before = RetainedBytes;
            History.TrimOldestHalf();
            return RetainedBytes - before;
        }
    }
}
