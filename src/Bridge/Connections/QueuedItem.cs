using Bridge.Topics;

namespace Bridge.Connections;

/// <summary>
/// One entry of a connection's send queue: an update (live, a kept latest value, or a direct
/// reply), a whole replay (one entry, so a resume can never overflow the queue it resumes into),
/// or a protocol envelope built for this connection alone.
/// </summary>
internal readonly struct QueuedItem
{
    private readonly bool _pinned;

    private QueuedItem(TopicMessage? message, TopicMessage[]? replay, OutboundFrame? control, int skipped, bool pinned, string? boundary)
    {
        Message = message;
        Replay = replay;
        Control = control;
        Skipped = skipped;
        _pinned = pinned;
        Boundary = boundary;
    }

    public TopicMessage? Message { get; }

    public TopicMessage[]? Replay { get; }

    public OutboundFrame? Control { get; }

    /// <summary>Updates of <see cref="Message"/>'s topic dropped for this connection just before it (drop-oldest, conflate).</summary>
    public int Skipped { get; }

    /// <summary>
    /// For a <c>subscribed</c>/<c>unsubscribed</c> envelope, its topic: slow-consumer policies never
    /// drop or replace across it, so an update of one subscription never stands in for another's.
    /// </summary>
    public string? Boundary { get; }

    /// <summary>A live update (not a latest value, replay, or envelope): only these count strictly against the queue's length.</summary>
    public bool IsLive => !_pinned && Message is not null;

    /// <summary>Whether this is a live update of <paramref name="topic"/> that a slow-consumer policy may drop or replace.</summary>
    public bool IsReplaceableUpdateOf(string topic) => !_pinned && Message is { IsDirect: false } message && message.Topic == topic;

    public static QueuedItem Update(TopicMessage message, int skipped = 0) => new(message, null, null, skipped, pinned: false, null);

    /// <summary>A kept latest value for a new subscriber: it states the position the subscription starts at, so it is never dropped or replaced.</summary>
    public static QueuedItem Latest(TopicMessage message) => new(message, null, null, 0, pinned: true, null);

    public static QueuedItem Replaying(TopicMessage[] replay) => new(null, replay, null, 0, pinned: true, null);

    /// <param name="frame">The envelope.</param>
    /// <param name="boundary">The topic whose subscription it starts or ends, if any.</param>
    public static QueuedItem Envelope(OutboundFrame frame, string? boundary = null) => new(null, null, frame, 0, pinned: true, boundary);

    public QueuedItem PlusSkipped(int skipped) => new(Message, Replay, Control, Skipped + skipped, _pinned, Boundary);
}
