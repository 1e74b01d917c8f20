using System.Threading.Channels;

namespace Publisher.Sample.Syncing;

/// <summary>
/// What the writer loop still has to send, coalesced so the loop that reads from the bridge never
/// waits for the one that writes to it (waiting both ways could deadlock on HTTP/2 flow control).
/// </summary>
/// <remarks>
/// Every state message carries the whole list, so any number of changes collapse into one topic
/// publication of the newest state, and a connection waiting for its initial state needs only one.
/// Error replies are the one thing that cannot collapse; they are bounded and dropped beyond it.
/// Nothing is handed out before <see cref="Open"/>: the CONNECTED events of connections already
/// present arrive before the bridge confirms our Listen, and holding their welcomes until then lets
/// the reconnect's one topic publication serve them all instead of each getting the state twice.
/// </remarks>
internal sealed class Outbox
{
    /// <summary>Error replies that may wait at once; more are dropped (logged by the caller).</summary>
    public const int MaxPendingReplies = 256;

    private readonly Lock _gate = new();
    private readonly Channel<bool> _wake = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private readonly HashSet<string> _welcomes = new(StringComparer.Ordinal);
    private readonly List<Reply> _replies = [];
    private bool _publishState;
    private bool _open;

    /// <summary>Starts handing out work; called once the bridge has confirmed the session's Listen.</summary>
    public void Open()
    {
        lock (_gate)
        {
            _open = true;
        }

        _wake.Writer.TryWrite(true);
    }

    /// <summary>Asks for the current state to be published on the topic.</summary>
    public void PublishState()
    {
        lock (_gate)
        {
            _publishState = true;
        }

        _wake.Writer.TryWrite(true);
    }

    /// <summary>Asks for the current state to be sent to one newly connected browser.</summary>
    public void Welcome(string connectionId)
    {
        lock (_gate)
        {
            _welcomes.Add(connectionId);
        }

        _wake.Writer.TryWrite(true);
    }

    /// <summary>The connection left: nothing more needs to reach it.</summary>
    public void Forget(string connectionId)
    {
        lock (_gate)
        {
            _welcomes.Remove(connectionId);
            _replies.RemoveAll(reply => reply.ConnectionId == connectionId);
        }
    }

    /// <returns>False when too many replies are waiting and this one was dropped.</returns>
    public bool TryReply(string connectionId, string text)
    {
        lock (_gate)
        {
            if (_replies.Count >= MaxPendingReplies)
            {
                return false;
            }

            _replies.Add(new Reply(connectionId, text));
        }

        _wake.Writer.TryWrite(true);
        return true;
    }

    /// <summary>Waits until there is something to send and takes all of it.</summary>
    public async ValueTask<OutboxBatch> TakeAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            lock (_gate)
            {
                if (_open && (_publishState || _welcomes.Count > 0 || _replies.Count > 0))
                {
                    // A connection's CONNECTED event comes after it subscribed, so a topic publication
                    // sent from here on reaches every connection waiting for a welcome: skip those.
                    var batch = new OutboxBatch(_publishState, _publishState ? [] : [.. _welcomes], [.. _replies]);
                    _publishState = false;
                    _welcomes.Clear();
                    _replies.Clear();
                    return batch;
                }
            }

            await _wake.Reader.WaitToReadAsync(cancellationToken);
            _wake.Reader.TryRead(out _);
        }
    }
}
