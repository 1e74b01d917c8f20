using System.Net.WebSockets;
using Bridge.Configuration;
using Bridge.Diagnostics;
using Bridge.Topics;

namespace Bridge.Connections;

/// <summary>
/// One browser connection (a WebSocket in plain or JSON mode, or an SSE stream): its
/// subscriptions, its bounded send queue and the single loop that writes to it.
/// </summary>
/// <remarks>
/// Rules (see Connections/README.md): producers only enqueue, which never blocks; only the sender
/// loop writes to the transport, including the close. A full queue applies the topic's
/// slow-consumer policy; <c>disconnect</c> closes with 1008 "slow consumer" instead of waiting.
/// Every server-initiated close arms an abort timer, so no close waits on a peer for longer than its timeout.
/// </remarks>
internal sealed partial class ClientConnection : IDisposable
{
    private readonly ConnectionSettings _settings;
    private readonly BridgeMetrics _metrics;
    private readonly ILogger _logger;
    // A list, not a set: a handful of topics each (at most Bridge:MaxTopicsPerConnection), and every
    // idle connection holds it. Also the lock for the abort timer, so a connection holds one lock object.
    private readonly List<string> _subscriptions = new(2);
    private CloseRequest? _close;
    private WebSocketChannel? _channel;
    private SubscriptionRequest[] _initialSubscriptions;
    private ITimer? _abortTimer;
    private Action? _onAbort;
    private bool _disposed;
    private int _aborted;

    /// <summary>Bytes written to the output pipe after which the sender flushes before writing more.</summary>
    private const int FlushThreshold = 64 * 1024;

    /// <param name="id">The connection id.</param>
    /// <param name="topics">The topics named when connecting (reported to backends in CONNECTED and DISCONNECTED).</param>
    /// <param name="protocol">How updates and subscriptions are encoded.</param>
    /// <param name="initialSubscriptions">What to subscribe when the connection joins (the broadcast topic included where the protocol has it).</param>
    /// <param name="settings">Shared limits.</param>
    /// <param name="metrics">Metrics.</param>
    /// <param name="logger">Logger.</param>
    public ClientConnection(string id, string[] topics, ConnectionProtocol protocol, SubscriptionRequest[] initialSubscriptions,
        ConnectionSettings settings, BridgeMetrics metrics, ILogger logger)
    {
        Id = id;
        Topics = topics;
        MessageTopic = topics.Length == 1 ? topics[0] : string.Empty;
        Protocol = protocol;
        _initialSubscriptions = initialSubscriptions;
        Queue = new ConnectionQueue(settings.SendQueueLength, settings.ReplayLimit);
        _settings = settings;
        _metrics = metrics;
        _logger = logger;
    }

    public string Id { get; }

    /// <summary>The topics named when connecting, besides the broadcast topic.</summary>
    public IReadOnlyList<string> Topics { get; }

    /// <summary>The topic its messages carry in plain mode: its only topic, or "" when it has none or several.</summary>
    public string MessageTopic { get; }

    public ConnectionProtocol Protocol { get; }

    /// <summary>What to subscribe when joining; taken once by <see cref="ConnectionRegistry.Add"/>, so the array is not kept.</summary>
    public SubscriptionRequest[] TakeInitialSubscriptions() => Interlocked.Exchange(ref _initialSubscriptions, []);

    /// <summary>The send queue; drained only by the connection's sender loop.</summary>
    public ConnectionQueue Queue { get; }

    /// <summary>The close the server asked for, if any.</summary>
    public CloseRequest? CloseRequested => Volatile.Read(ref _close);

    /// <summary>Claims a subscription slot for <paramref name="topic"/> before subscribing to it.</summary>
    public SubscriptionSlot TryReserve(string topic, int limit)
    {
        lock (_subscriptions)
        {
            if (_subscriptions.Contains(topic))
            {
                return SubscriptionSlot.AlreadySubscribed;
            }

            if (_subscriptions.Count >= limit)
            {
                return SubscriptionSlot.LimitReached;
            }

            _subscriptions.Add(topic);
            return SubscriptionSlot.Reserved;
        }
    }

    /// <returns>Whether the connection was subscribed to <paramref name="topic"/>.</returns>
    public bool Release(string topic)
    {
        lock (_subscriptions)
        {
            return _subscriptions.Remove(topic);
        }
    }

    /// <summary>Every topic the connection is subscribed to now.</summary>
    public string[] SubscribedTopics()
    {
        lock (_subscriptions)
        {
            return [.. _subscriptions];
        }
    }

    /// <summary>Hands the subscriber what it must receive before live updates; called under the topic's gate.</summary>
    public void OnSubscribed(in SubscriptionStart start) => Protocol.OnSubscribed(this, start);

    /// <summary>Queues an update without waiting; a full queue applies <paramref name="policy"/>.</summary>
    /// <returns>Whether the update (or a newer one replacing it) is queued.</returns>
    public bool Deliver(TopicMessage message, SlowConsumerPolicy policy) => Enqueue(QueuedItem.Update(message), policy);

    /// <summary>Queues a kept latest value for a new subscription; it is never dropped or replaced by a slow-consumer policy.</summary>
    public bool DeliverLatest(TopicMessage latest, SlowConsumerPolicy policy) => Enqueue(QueuedItem.Latest(latest), policy);

    /// <summary>Queues a protocol envelope meant for this connection alone; overflow closes it as a slow consumer.</summary>
    /// <param name="frame">The envelope.</param>
    /// <param name="boundary">The topic whose subscription the envelope starts or ends (<c>subscribed</c>, <c>unsubscribed</c>).</param>
    public bool EnqueueEnvelope(OutboundFrame frame, string? boundary = null) => Enqueue(QueuedItem.Envelope(frame, boundary), SlowConsumerPolicy.Disconnect);

    /// <summary>Queues a replay as one entry, so a resume never overflows the queue it resumes into.</summary>
    public bool EnqueueReplay(TopicMessage[] replay) => Enqueue(QueuedItem.Replaying(replay), SlowConsumerPolicy.Disconnect);

    private bool Enqueue(QueuedItem item, SlowConsumerPolicy policy)
    {
        switch (Queue.TryEnqueue(item, policy))
        {
            case EnqueueOutcome.Queued:
                return true;
            case EnqueueOutcome.Dropped:
                _metrics.DeliveryDropped();
                return true;
            case EnqueueOutcome.Conflated:
                _metrics.DeliveryConflated();
                return true;
            case EnqueueOutcome.Overflow:
                OnOverflow();
                return false;
            default:
                return false;
        }
    }

    private void OnOverflow()
    {
        if (RequestClose(CloseRequest.SlowConsumer, _settings.CloseTimeout))
        {
            _metrics.SlowConsumerClosed();
            Log.SlowConsumer(_logger, Id, _settings.SendQueueLength);
        }
    }

    /// <summary>
    /// Asks the sender loop to close the connection with <paramref name="request"/>; aborts it if
    /// the close has not completed after <paramref name="abortAfter"/>. Only the first request counts.
    /// </summary>
    public bool RequestClose(CloseRequest request, TimeSpan abortAfter)
    {
        if (Interlocked.CompareExchange(ref _close, request, null) is not null)
        {
            return false;
        }

        Queue.Complete(discard: request.DiscardPending);
        lock (_subscriptions)
        {
            if (!_disposed)
            {
                _abortTimer = _settings.Time.CreateTimer(static state => ((ClientConnection)state!).Abort(), this, abortAfter, Timeout.InfiniteTimeSpan);
            }
        }

        return true;
    }

    /// <summary>The WebSocket transport once the handshake completed; null for SSE and before.</summary>
    public WebSocketChannel? WebSocket => Volatile.Read(ref _channel);

    /// <summary>Gives the connection its upgraded WebSocket transport.</summary>
    public void Attach(WebSocketChannel channel)
    {
        Interlocked.Exchange(ref _channel, channel);
        if (Volatile.Read(ref _aborted) == 1)
        {
            channel.Abort();
        }
    }

    /// <summary>Called instead of <see cref="Attach"/> by transports that are not a WebSocket (SSE): runs <paramref name="abort"/> on abort.</summary>
    public void OnAbort(Action abort)
    {
        Interlocked.Exchange(ref _onAbort, abort);
        if (Volatile.Read(ref _aborted) == 1)
        {
            abort();
        }
    }

    /// <summary>Tears the transport down at once; pending sends and receives fail.</summary>
    public void Abort()
    {
        Interlocked.Exchange(ref _aborted, 1);

        // Holding no lock: with inline scheduling, cancelling the read can run the whole connection's
        // teardown on this thread (which takes the registry's presence lock). An abort timer that
        // fires after the connection ended is harmless: cancelling a completed pipe does nothing,
        // and on the HTTP path it aborts a request that has already finished.
        Volatile.Read(ref _channel)?.Abort();
        Volatile.Read(ref _onAbort)?.Invoke();
    }

    /// <summary>
    /// The one writer of this WebSocket: sends queued entries in order, then the requested close.
    /// Each wake-up copies the pre-built frames of everything queued so far into the output pipe
    /// and flushes once: one transport write for many frames, no framing per subscriber.
    /// </summary>
    public async Task RunSenderAsync(WebSocketChannel channel)
    {
        // One method, not a loop calling a helper: an idle connection waits here, holding one state machine.
        try
        {
            var batch = new List<QueuedItem>();
            while (await Queue.WaitToReadAsync())
            {
                Queue.DrainTo(batch);
                foreach (var item in batch)
                {
                    if (Volatile.Read(ref _close) is { DiscardPending: true })
                    {
                        break;
                    }

                    // Writing is synchronous; only a large batch (or replay) flushes before it ends, so
                    // the loop costs no await per frame.
                    if (item.Replay is { } replay)
                    {
                        foreach (var message in replay)
                        {
                            channel.Write(Protocol.Frame(message, 0).Bytes);
                            if (channel.Unflushed >= FlushThreshold)
                            {
                                await channel.FlushAsync();
                            }
                        }
                    }
                    else
                    {
                        channel.Write((item.Control ?? Protocol.Frame(item.Message!, item.Skipped)).Bytes);
                        if (channel.Unflushed >= FlushThreshold)
                        {
                            await channel.FlushAsync();
                        }
                    }
                }

                batch.Clear();
                await channel.FlushAsync();
                if (Volatile.Read(ref _close) is { DiscardPending: true })
                {
                    break;
                }
            }

            if (Volatile.Read(ref _close) is { } close)
            {
                await channel.SendCloseAsync(close.Status, close.Reason);
            }
        }
        catch (Exception ex) when (ex is IOException or InvalidOperationException or OperationCanceledException)
        {
            // The peer went away or the connection was aborted (close timeout, ping timeout): nothing left to send to.
            Log.SendFailed(_logger, Id, ex.Message);
            Abort();
        }
    }

    public void Dispose()
    {
        // A late direct send must not mistake the finished connection for a slow consumer.
        Interlocked.CompareExchange(ref _close, CloseRequest.Lost, null);
        Queue.Complete(discard: true);
        lock (_subscriptions)
        {
            _disposed = true;
            _abortTimer?.Dispose();
        }
    }
}

/// <summary>The answer to <see cref="ClientConnection.TryReserve"/>.</summary>
internal enum SubscriptionSlot
{
    Reserved,
    AlreadySubscribed,
    LimitReached,
}
