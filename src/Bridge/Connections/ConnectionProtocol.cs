using Bridge.Protocol;
using Bridge.Topics;

namespace Bridge.Connections;

/// <summary>
/// What a connection's protocol decides: what a new subscription sends first, and (for the
/// WebSocket protocols) the frame each queued update becomes.
/// </summary>
internal abstract class ConnectionProtocol
{
    /// <summary>Queues what the subscriber must get before live updates. Runs under the topic's gate.</summary>
    public abstract void OnSubscribed(ClientConnection connection, in SubscriptionStart start);

    /// <summary>The WebSocket frame for <paramref name="message"/>, reporting <paramref name="skipped"/> updates before it where the protocol can.</summary>
    public abstract OutboundFrame Frame(TopicMessage message, int skipped);
}

/// <summary>Plain mode: each update is its payload as one frame; a new subscriber gets only the kept latest value.</summary>
internal sealed class PlainProtocol : ConnectionProtocol
{
    public static readonly PlainProtocol Instance = new();

    public override void OnSubscribed(ClientConnection connection, in SubscriptionStart start)
    {
        if (start.Latest is { } latest)
        {
            connection.Deliver(latest, start.Policy.SlowConsumer);
        }
    }

    public override OutboundFrame Frame(TopicMessage message, int skipped) => message.Frame;
}

/// <summary>
/// The <c>bridge.v1.json</c> subprotocol: <c>subscribed</c> with the current position, then the
/// replay (or the latest value when there is nothing to recover), then live envelopes.
/// </summary>
internal sealed class JsonProtocol : ConnectionProtocol
{
    public static readonly JsonProtocol Instance = new();

    public override void OnSubscribed(ClientConnection connection, in SubscriptionStart start)
    {
        // The answer and what follows it are one queue entry: as two, a queue of one
        // (Bridge:SendQueueLength=1) would overflow on every resume or kept value, and a client
        // that reconnects after the 1008 would be closed again, for ever.
        var answer = JsonEnvelopes.Subscribed(start);
        if (start.Replay.Length > 0)
        {
            connection.EnqueueReplay(start.Replay, answer);
        }
        else if (start.Latest is { } latest)
        {
            connection.EnqueueReplay([latest], answer);
        }
        else
        {
            connection.EnqueueEnvelope(answer);
        }
    }

    public override OutboundFrame Frame(TopicMessage message, int skipped) =>
        skipped == 0 ? message.JsonFrame : JsonEnvelopes.Message(message, skipped);
}
