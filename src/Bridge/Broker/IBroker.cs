using Bridge.Connections;

namespace Bridge.Broker;

/// <summary>
/// The seam between accepting a publication and delivering it. The in-memory broker assigns
/// positions and fans out in this process; a scale-out broker (Redis) will assign positions
/// centrally and deliver on every instance.
/// </summary>
internal interface IBroker
{
    /// <summary>Assigns the publication the next position in its topic, keeps it in the topic's history and delivers it to the topic's subscribers.</summary>
    ValueTask<PublishResult> PublishAsync(string topic, OutboundFrame frame, CancellationToken cancellationToken);

    /// <summary>Delivers a frame to one connection, outside any topic's sequence (<paramref name="topic"/> is only reported to JSON clients).</summary>
    ValueTask<DirectSendResult> SendToConnectionAsync(string connectionId, string topic, OutboundFrame frame, CancellationToken cancellationToken);
}

/// <summary>The outcome of a topic publication: its position (sequence and epoch) and how many connections it was queued to.</summary>
internal readonly record struct PublishResult(ulong Sequence, string Epoch, int Recipients);

/// <summary>The outcome of a send to one connection.</summary>
internal enum DirectSendResult
{
    /// <summary>Queued to the connection.</summary>
    Queued,

    /// <summary>The connection exists but did not take the frame: its queue overflowed (it is being closed as a slow consumer) or it is already closing.</summary>
    NotQueued,

    /// <summary>No connection has that id.</summary>
    NotConnected,
}
