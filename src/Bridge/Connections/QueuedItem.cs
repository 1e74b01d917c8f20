using Bridge.Topics;

namespace Bridge.Connections;

/// <summary>
/// One entry of a connection's send queue: an update (live, a kept latest value, or a direct
/// reply), a whole replay (one entry, so a resume can never overflow the queue it resumes into,
/// optionally led by the <c>subscribed</c> answer it belongs to), or a protocol envelope built for
/// this connection alone.
/// </summary>
internal readonly struct QueuedItem
{
    private QueuedItem(TopicMessage? message, TopicMessage[]? replay, OutboundFrame? control, int skipped)
    {
        Message = message;
        Replay = replay;
        Control = control;
        Skipped = skipped;
    }

    public TopicMessage? Message { get; }

    public TopicMessage[]? Replay { get; }

    public OutboundFrame? Control { get; }

    /// <summary>Updates of <see cref="Message"/>'s topic dropped for this connection just before it (drop-oldest, conflate).</summary>
    public int Skipped { get; }

    /// <summary>Whether this is a positioned update of <paramref name="topic"/> that a slow-consumer policy may drop or replace.</summary>
    public bool IsUpdateOf(string topic) => Message is { IsDirect: false } message && message.Topic == topic;

    public static QueuedItem Update(TopicMessage message, int skipped = 0) => new(message, null, null, skipped);

    /// <summary>A replay, sent after <paramref name="answer"/> when there is one (<see cref="Control"/> first, then <see cref="Replay"/>).</summary>
    public static QueuedItem Replaying(TopicMessage[] replay, OutboundFrame? answer = null) => new(null, replay, answer, 0);

    public static QueuedItem Envelope(OutboundFrame frame) => new(null, null, frame, 0);

    public QueuedItem PlusSkipped(int skipped) => new(Message, Replay, Control, Skipped + skipped);
}
