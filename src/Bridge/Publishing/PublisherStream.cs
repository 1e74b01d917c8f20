using System.Threading.Channels;
using Bridge.Connections;
using Bridge.Diagnostics;
using Bridge.V1;
using Grpc.Core;

namespace Bridge.Publishing;

/// <summary>
/// The bridge's side of one backend's <c>Publish</c> stream: its listen filter and its outbox,
/// written by exactly one loop.
/// </summary>
/// <remarks>
/// The outbox is one FIFO so responses keep their order, bounded in two parts: acks and
/// <c>Listening</c> take a credit from a fixed window (the request loop waits for one, which stops
/// reading the backend's requests and lets HTTP/2 flow control push back — acks are never dropped);
/// browser messages and events count against <c>Bridge:PublisherQueueLength</c> and are dropped and
/// counted beyond it, so a slow backend never blocks a browser.
/// </remarks>
internal sealed partial class PublisherStream : IDisposable
{
    /// <summary>Acks (and Listening confirmations) that may wait in the outbox at once.</summary>
    public const int AckWindow = 1024;

    private readonly Channel<Outgoing> _outbox = Channel.CreateUnbounded<Outgoing>(new UnboundedChannelOptions
    {
        SingleReader = true,
        SingleWriter = false,
        AllowSynchronousContinuations = false,
    });

    private readonly SemaphoreSlim _ackCredits = new(AckWindow, AckWindow);
    private readonly int _eventLimit;
    private readonly BridgeMetrics _metrics;
    private readonly ILogger _logger;
    private readonly Lock _filterGate = new();
    private TopicFilter _filter = TopicFilter.All;
    private int _pendingEvents;
    private long _dropped;

    public PublisherStream(string id, string peer, int eventLimit, BridgeMetrics metrics, ILogger logger)
    {
        Id = id;
        Peer = peer;
        _eventLimit = eventLimit;
        _metrics = metrics;
        _logger = logger;
    }

    public string Id { get; }

    public string Peer { get; }

    /// <summary>Browser messages and events dropped for this stream because its backend read too slowly.</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    /// <summary>
    /// Offers a browser message: queued if this stream listens to <paramref name="topic"/> and has room,
    /// dropped and counted if it listens but is full. The filter check and the enqueue are one step
    /// with respect to <see cref="ListenAsync"/>, so nothing outside a Listening's filter follows it.
    /// </summary>
    public Delivery OfferMessage(string topic, PublishResponse response)
    {
        lock (_filterGate)
        {
            return _filter.Matches(topic) ? Enqueue(response) : Delivery.NotListening;
        }
    }

    /// <summary>Offers a connection event: as <see cref="OfferMessage"/>, for a connection with these topics.</summary>
    public Delivery OfferEvent(IReadOnlyList<string> connectionTopics, PublishResponse response)
    {
        lock (_filterGate)
        {
            return _filter.MatchesAny(connectionTopics) ? Enqueue(response) : Delivery.NotListening;
        }
    }

    private Delivery Enqueue(PublishResponse response)
    {
        if (Interlocked.Increment(ref _pendingEvents) > _eventLimit)
        {
            Interlocked.Decrement(ref _pendingEvents);
            if (Interlocked.Increment(ref _dropped) == 1)
            {
                Log.FirstDrop(_logger, Id, _eventLimit);
            }

            _metrics.PublisherEventDropped();
            return Delivery.Dropped;
        }

        if (!_outbox.Writer.TryWrite(new Outgoing(response, OutgoingKind.Event)))
        {
            Interlocked.Decrement(ref _pendingEvents); // completed: the stream is ending
            return Delivery.Dropped;
        }

        return Delivery.Queued;
    }

    /// <summary>
    /// Queues the ack of an update that was already published; waits for a credit while the backend
    /// is not reading. If the wait is cancelled (shutdown, or the call ended) the ack is queued anyway,
    /// without a credit, so no accepted update goes unacknowledged; the overshoot is one ack.
    /// </summary>
    public async ValueTask EnqueueAckAsync(PublishResponse response, CancellationToken cancellationToken)
    {
        try
        {
            await _ackCredits.WaitAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
            _outbox.Writer.TryWrite(new Outgoing(response, OutgoingKind.Uncredited));
            throw;
        }

        if (!_outbox.Writer.TryWrite(new Outgoing(response, OutgoingKind.Credited)))
        {
            _ackCredits.Release();
        }
    }

    /// <summary>
    /// Applies a new filter and queues its Listening in one step: every message and event queued after
    /// the Listening follows the new filter, and none queued before it does unless the old one matched.
    /// </summary>
    public async ValueTask ListenAsync(TopicFilter filter, CancellationToken cancellationToken)
    {
        await _ackCredits.WaitAsync(cancellationToken);
        lock (_filterGate)
        {
            _filter = filter;
            if (!_outbox.Writer.TryWrite(new Outgoing(ListeningResponse(filter), OutgoingKind.Credited)))
            {
                _ackCredits.Release();
            }
        }
    }

    private const int MaxUnflushed = 64;

    private static readonly WriteOptions Buffered = new(WriteFlags.BufferHint);

    public static PublishResponse ListeningResponse(TopicFilter filter) =>
        new() { Listening = new Listening { Topics = { filter.Topics } } };

    /// <summary>No more responses will be queued; the writer finishes what is queued and ends.</summary>
    public void Complete() => _outbox.Writer.TryComplete();

    /// <summary>The one writer of the response stream: the opening responses, then the outbox in order.</summary>
    public async Task RunWriterAsync(IAsyncStreamWriter<PublishResponse> writer, IEnumerable<PublishResponse> opening, CancellationToken cancellationToken)
    {
        try
        {
            foreach (var response in opening)
            {
                await writer.WriteAsync(response, cancellationToken);
            }

            var reader = _outbox.Reader;
            while (await reader.WaitToReadAsync(cancellationToken))
            {
                var unflushed = 0;
                while (reader.TryRead(out var item))
                {
                    // Flush once per run of queued responses (at most MaxUnflushed), not once per ack:
                    // under load a backend gets its acks in a few HTTP/2 frames and socket writes
                    // instead of one each, and an outbox that never empties still flushes.
                    var flush = !reader.TryPeek(out _) || ++unflushed >= MaxUnflushed;
                    if (flush)
                    {
                        unflushed = 0;
                    }

                    writer.WriteOptions = flush ? null : Buffered;
                    await writer.WriteAsync(item.Response, cancellationToken);
                    switch (item.Kind)
                    {
                        case OutgoingKind.Credited:
                            _ackCredits.Release();
                            break;
                        case OutgoingKind.Event:
                            Interlocked.Decrement(ref _pendingEvents);
                            break;
                    }
                }
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or InvalidOperationException)
        {
            // The call is over (the backend went away, or the drain ran out of time): nothing more can
            // be written. grpc-dotnet reports a write to a finished request as InvalidOperationException,
            // sometimes before the call's cancellation token has fired.
            Log.WriterStopped(_logger, Id, ex.Message);
        }
    }

    public void Dispose() => _ackCredits.Dispose();

    private enum OutgoingKind
    {
        /// <summary>An ack or Listening holding a credit of the ack window.</summary>
        Credited,

        /// <summary>An ack queued without a credit while the stream was being cancelled.</summary>
        Uncredited,

        /// <summary>A browser message or connection event, counted against the event bound.</summary>
        Event,
    }

    private readonly record struct Outgoing(PublishResponse Response, OutgoingKind Kind);

    private static partial class Log
    {
        [LoggerMessage(EventId = 210, Level = LogLevel.Warning, Message = "Publisher stream {StreamId} reads too slowly: more than {Limit} browser messages/events were waiting, so further ones are dropped for this stream and counted in bridge.publisher.dropped.")]
        public static partial void FirstDrop(ILogger logger, string streamId, int limit);

        [LoggerMessage(EventId = 211, Level = LogLevel.Debug, Message = "Publisher stream {StreamId} stopped writing: {Reason}")]
        public static partial void WriterStopped(ILogger logger, string streamId, string reason);
    }
}
