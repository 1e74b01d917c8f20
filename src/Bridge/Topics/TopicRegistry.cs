using System.Collections.Concurrent;
using System.Threading.Channels;
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
/// retained bytes exceed <c>History:MaxBytes</c> the sweeper evicts idle topics (empty ones first,
/// then least recently active), then trims the oldest history of the rest. A topic with subscribers is never evicted, so an epoch
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
    private readonly long _hardLimit;
    private readonly Lock _budgetGate = new();
    private readonly Channel<bool> _budgetExceeded = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite, SingleReader = true });
    private long _retainedBytes;
    private long _enforceAbove;

    public TopicRegistry(IOptions<BridgeOptions> options, TopicPolicies policies, TimeProvider time, BridgeMetrics metrics)
    {
        var history = options.Value.History;
        _policies = policies;
        _time = time;
        _metrics = metrics;
        _historyCapacity = history.MaxMessages;
        _maxAgeTicks = (long)(history.MaxAge.TotalSeconds * time.TimestampFrequency);
        _maxBytes = history.MaxBytes;
        _hardLimit = _maxBytes + _maxBytes / 4;
        _remove = topic => _topics.TryRemove(KeyValuePair.Create(topic.Name, topic));
        metrics.ObserveTopics(() => _topics.Count, () => Interlocked.Read(ref _retainedBytes));
    }

    /// <summary>Raised after every sweep and budget enforcement (for diagnostics and tests, which wait on it instead of polling).</summary>
    public event Action? Maintained;

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

        // Not charged to the budget yet: that happens on first use, under the topic's gate, so the
        // budget can never evict a topic between its creation and its first use.
        return _topics.GetOrAdd(name, static (n, registry) => new Topic(n, registry._policies.Resolve(n), registry._historyCapacity, registry._time.GetTimestamp()), this);
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

        if (AddRetained(delta) > _hardLimit)
        {
            // The sweeper has fallen behind a fast publisher: this publisher pays, so the budget
            // stays a bound (at most a quarter over) however fast updates come.
            EnforceBudget();
        }

        return message;
    }

    /// <summary>Subscribes the connection, atomically handing it its start (position, replay or latest value).</summary>
    public void Subscribe(ClientConnection connection, in SubscriptionRequest request)
    {
        long delta;
        while (!GetOrAdd(request.Topic).TrySubscribe(connection, request, _time.GetTimestamp(), out delta))
        {
            // Retired between the lookup and the add; the next lookup creates a fresh topic.
        }

        AddRetained(delta);
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

        Maintained?.Invoke();
    }

    /// <summary>Signalled when the retained bytes exceed the budget; <see cref="TopicSweeper"/> then runs <see cref="EnforceBudget"/>.</summary>
    public ChannelReader<bool> BudgetExceeded => _budgetExceeded.Reader;

    /// <returns>The retained bytes after the change, or 0 when nothing needs enforcing.</returns>
    private long AddRetained(long delta)
    {
        // Normally enforced by the sweeper: publishers and joining connections (under the presence
        // lock) do not pay for a scan of every topic, and the bound may be overshot briefly.
        if (delta == 0)
        {
            return 0;
        }

        var retained = Interlocked.Add(ref _retainedBytes, delta);
        if (retained <= Math.Max(_maxBytes, Interlocked.Read(ref _enforceAbove)))
        {
            return 0;
        }

        _budgetExceeded.Writer.TryWrite(true);
        return retained;
    }

    /// <summary>
    /// Brings the retained bytes back under 90% of the budget: first idle topics that hold nothing
    /// (names browsers subscribed to and left), then other idle topics, least recently active first,
    /// then the oldest history of subscribed topics.
    /// </summary>
    public void EnforceBudget()
    {
        EnforceBudgetOnce();
        Maintained?.Invoke();
    }

    private void EnforceBudgetOnce()
    {
        lock (_budgetGate)
        {
            var target = _maxBytes / 10 * 9;
            var now = _time.GetTimestamp();
            var cutoff = now - _maxAgeTicks;
            var idle = _topics.Values
                .Where(static t => t.SubscriberCount == 0)
                .OrderBy(static t => t.HoldsMessages)
                .ThenBy(static t => t.LastActive)
                .ToList();
            foreach (var topic in idle)
            {
                if (Interlocked.Read(ref _retainedBytes) <= target)
                {
                    Interlocked.Exchange(ref _enforceAbove, 0);
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
                    // What is left cannot be evicted (subscribed topics' state and latest values): do
                    // not rescan on every publication until it has grown by another 5%.
                    Interlocked.Exchange(ref _enforceAbove, Interlocked.Read(ref _retainedBytes) + _maxBytes / 20);
                    return;
                }

                Interlocked.Add(ref _retainedBytes, largest.TrimHistory());
                _metrics.HistoryTrimmed();
            }

            Interlocked.Exchange(ref _enforceAbove, 0);
        }
    }
}
