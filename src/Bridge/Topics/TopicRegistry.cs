using System.Collections.Concurrent;
using Bridge.Configuration;
using Bridge.Connections;
using Bridge.Diagnostics;
using Microsoft.Extensions.Options;

namespace Bridge.Topics;

/// <summary>
/// The local topics: positions, history, latest values and subscribers, under one memory budget.
/// </summary>
/// <remarks>
/// Retention is bounded however topics come and go: a topic without subscribers is evicted once it
/// has been idle for <c>History:MaxAge</c> (its history has expired by then), and whenever the
/// retained bytes exceed <c>History:MaxBytes</c> idle topics are evicted oldest first, then the
/// oldest history of the rest is trimmed. A topic with subscribers is never evicted, so an epoch
/// never changes under a subscriber.
/// </remarks>
internal sealed class TopicRegistry
{
    private readonly ConcurrentDictionary<string, Topic> _topics = new(StringComparer.Ordinal);
    private readonly Action<Topic> _remove;
    private readonly TopicPolicies _policies;
    private readonly TimeProvider _time;
    private readonly BridgeMetrics _metrics;
    private readonly int _historyCapacity;
    private readonly long _maxAgeTicks;
    private readonly long _maxBytes;
    private readonly Lock _budgetGate = new();
    private long _retainedBytes;

    public TopicRegistry(IOptions<BridgeOptions> options, TopicPolicies policies, TimeProvider time, BridgeMetrics metrics)
    {
        var history = options.Value.History;
        _policies = policies;
        _time = time;
        _metrics = metrics;
        _historyCapacity = history.MaxMessages;
        _maxAgeTicks = (long)(history.MaxAge.TotalSeconds * time.TimestampFrequency);
        _maxBytes = history.MaxBytes;
        _remove = topic => _topics.TryRemove(KeyValuePair.Create(topic.Name, topic));
        metrics.ObserveTopics(() => _topics.Count, () => Interlocked.Read(ref _retainedBytes));
    }

    /// <summary>How many topics are held (for tests and diagnostics).</summary>
    public int Count => _topics.Count;

    /// <summary>Estimated bytes retained by all topics.</summary>
    public long RetainedBytes => Interlocked.Read(ref _retainedBytes);

    /// <summary>The topic's current state. It may be retired by the time its gate is taken: check <see cref="Topic.Retired"/> and look up again.</summary>
    public Topic GetOrAdd(string name)
    {
        if (_topics.TryGetValue(name, out var topic))
        {
            return topic;
        }

        var created = new Topic(name, _policies.Resolve(name), _historyCapacity, _time.GetTimestamp());
        topic = _topics.GetOrAdd(name, created);
        if (ReferenceEquals(topic, created))
        {
            AddRetained(created.OverheadBytes);
        }

        return topic;
    }

    /// <summary>The topic if it exists, without creating it.</summary>
    public Topic? Find(string name) => _topics.TryGetValue(name, out var topic) ? topic : null;

    /// <summary>Assigns the update its position in <paramref name="name"/>, retains it and queues it to every subscriber.</summary>
    public TopicMessage Publish(string name, OutboundFrame frame, out int recipients)
    {
        TopicMessage message;
        long delta;
        while (true)
        {
            var topic = GetOrAdd(name);
            lock (topic.Gate)
            {
                if (topic.Retired)
                {
                    continue; // evicted between the lookup and the lock; the next lookup creates it afresh
                }

                message = topic.Publish(frame, _time.GetTimestamp(), out recipients, out delta);
                break;
            }
        }

        AddRetained(delta);
        return message;
    }

    /// <summary>Subscribes the connection, atomically handing it its start (position, replay or latest value).</summary>
    public void Subscribe(ClientConnection connection, in SubscriptionRequest request)
    {
        while (!GetOrAdd(request.Topic).TrySubscribe(connection, request, _time.GetTimestamp()))
        {
            // Retired between the lookup and the add; the next lookup creates a fresh topic.
        }
    }

    public void Unsubscribe(ClientConnection connection, string name) =>
        Find(name)?.Remove(connection, _time.GetTimestamp());

    /// <summary>Expires old history and evicts topics idle for longer than <c>History:MaxAge</c>; run periodically.</summary>
    public void Sweep()
    {
        var cutoff = _time.GetTimestamp() - _maxAgeTicks;
        foreach (var topic in _topics.Values)
        {
            if (topic.TrimOrRetire(cutoff, force: false, _remove, out var delta))
            {
                _metrics.TopicEvicted();
            }

            AddRetained(delta);
        }
    }

    private void AddRetained(long delta)
    {
        if (delta != 0 && Interlocked.Add(ref _retainedBytes, delta) > _maxBytes)
        {
            EnforceBudget();
        }
    }

    /// <summary>Brings the retained bytes back under 90% of the budget: idle topics first (least recently active), then history.</summary>
    private void EnforceBudget()
    {
        // One thread enforces at a time; others carry on (the budget is a bound, not a hard wall).
        if (!_budgetGate.TryEnter())
        {
            return;
        }

        try
        {
            var target = _maxBytes / 10 * 9;
            var cutoff = _time.GetTimestamp() - _maxAgeTicks;
            foreach (var topic in _topics.Values.Where(static t => t.Subscribers.Length == 0).OrderBy(static t => t.LastActive).ToList())
            {
                if (Interlocked.Read(ref _retainedBytes) <= target)
                {
                    return;
                }

                if (topic.TrimOrRetire(cutoff, force: true, _remove, out var delta))
                {
                    _metrics.TopicEvicted();
                }

                Interlocked.Add(ref _retainedBytes, delta);
            }

            while (Interlocked.Read(ref _retainedBytes) > target)
            {
                var largest = _topics.Values.MaxBy(static t => t.History.Bytes);
                if (largest is null || largest.History.Count == 0)
                {
                    return; // what is left is subscribed topics' latest values and state
                }

                Interlocked.Add(ref _retainedBytes, largest.TrimHistory());
                _metrics.HistoryTrimmed();
            }
        }
        finally
        {
            _budgetGate.Exit();
        }
    }
}
