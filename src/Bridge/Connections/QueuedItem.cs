using Bridge.Topics;

namespace Bridge.Connections;

/// <summary>
/// One entry of a connection's send queue: an update (live, a kept latest value, or a direct
/// reply), a whole replay (one entry, so a resume can never overflow the queue it resumes into),
/// or a protocol envelope built for this connection alone.
/// </summary>
/// <remarks>
/// Sixteen bytes (one reference, a count, a flag): every delivery copies one into a queue and out
/// again, so what the entry is lives in the type of <see cref="_item"/>, not in a field per kind.
/// </remarks>
internal readonly struct QueuedItem
{
    private readonly object _item;
    private readonly int _skipped;
    private readonly bool _pinned;

    private QueuedItem(object item, int skipped, bool pinned)
    {
        _item = item;
        _skipped = skipped;
        _pinned = pinned;
    }

    public TopicMessage? Message => _item as TopicMessage;

    public TopicMessage[]? Replay => _item as TopicMessage[];

    public OutboundFrame? Control => _item as OutboundFrame ?? (_item as BoundaryEnvelope)?.Frame;

    /// <summary>Updates of <see cref="Message"/>'s topic dropped for this connection just before it (drop-oldest, conflate).</summary>
    public int Skipped => _skipped;

    /// <summary>
    /// For a <c>subscribed</c>/<c>unsubscribed</c> envelope, its topic: slow-consumer policies never
    /// drop or replace across it, so an update of one subscription never stands in for another's.
    /// </summary>
    public string? Boundary => (_item as BoundaryEnvelope)?.Topic;

    /// <summary>A live update (not a latest value, replay, or envelope): only these count strictly against the queue's length.</summary>
    public bool IsLive => !_pinned && _item is TopicMessage;

    /// <summary>Whether this is a live update of <paramref name="topic"/> that a slow-consumer policy may drop or replace.</summary>
    public bool IsReplaceableUpdateOf(string topic) => !_pinned && _item is TopicMessage { IsDirect: false } message && message.Topic == topic;

    public static QueuedItem Update(TopicMessage message, int skipped = 0) => new(message, skipped, pinned: false);

    /// <summary>A kept latest value for a new subscriber: it states the position the subscription starts at, so it is never dropped or replaced.</summary>
    public static QueuedItem Latest(TopicMessage message) => new(message, 0, pinned: true);

    public static QueuedItem Replaying(TopicMessage[] replay) => new(replay, 0, pinned: true);

    /// <param name="frame">The envelope.</param>
    /// <param name="boundary">The topic whose subscription it starts or ends, if any.</param>
    public static QueuedItem Envelope(OutboundFrame frame, string? boundary = null) =>
        new(boundary is null ? frame : new BoundaryEnvelope(frame, boundary), 0, pinned: true);

    public QueuedItem PlusSkipped(int skipped) => new(_item, _skipped + skipped, _pinned);

    private sealed record BoundaryEnvelope(OutboundFrame Frame, string Topic);
}
