using Bridge.Connections;
using Bridge.Protocol;

namespace Bridge.Topics;

/// <summary>
/// One accepted update with its position, shared by every subscriber's queue and the topic's
/// history. Each wire form is built at most once, on first use: the plain frame when the update
/// is accepted, the JSON envelope when the first JSON subscriber (or a replay) needs it.
/// </summary>
internal sealed class TopicMessage(string topic, ulong sequence, string epoch, OutboundFrame frame, long timestamp)
{
    private OutboundFrame? _json;

    public string Topic { get; } = topic;

    /// <summary>The position in the topic; 0 for a reply addressed to one connection (no position).</summary>
    public ulong Sequence { get; } = sequence;

    /// <summary>The topic's epoch; empty for a direct reply.</summary>
    public string Epoch { get; } = epoch;

    /// <summary>The plain-mode frame; its payload is the source of every other encoding.</summary>
    public OutboundFrame Frame { get; } = frame;

    /// <summary>When it was accepted (<see cref="TimeProvider.GetTimestamp"/>), for history expiry.</summary>
    public long Timestamp { get; } = timestamp;

    public bool IsDirect => Sequence == 0;

    /// <summary>The <c>message</c> envelope of the JSON subprotocol, built once and shared.</summary>
    public OutboundFrame JsonFrame
    {
        get
        {
            var json = Volatile.Read(ref _json);
            if (json is null)
            {
                // Two threads may build it at once; both results are identical and one wins.
                json = JsonEnvelopes.Message(this, skipped: 0);
                json = Interlocked.CompareExchange(ref _json, json, null) ?? json;
            }

            return json;
        }
    }

    /// <summary>An estimate of the memory this message holds while retained (frame, JSON envelope, object overhead).</summary>
    public long RetainedBytes => 2L * Frame.Bytes.Length + 192;

    public static TopicMessage Direct(string topic, OutboundFrame frame) => new(topic, 0, string.Empty, frame, 0);
}
