using System.Net;

namespace Bridge.Benchmarks.Load;

/// <summary>How one kind of subscriber connects (blocking, before a receiver owns the socket) and how what it receives is read.</summary>
internal abstract class SubscriberProtocol
{
    /// <summary>Opens subscriber <paramref name="id"/> from <paramref name="source"/>; its handshake is done when this returns.</summary>
    public abstract Subscriber Connect(int id, IPEndPoint server, IPAddress source, TimeSpan timeout);

    /// <summary>A reader for the subscribers of one session, reporting to <paramref name="tracker"/>.</summary>
    public abstract IStreamReader CreateReader(DeliveryTracker tracker);
}

/// <summary>
/// WebSocket subscribers: an upgrade to <paramref name="target"/> (offering <paramref name="subprotocol"/>,
/// if any), then <paramref name="firstFrame"/>; each message goes to <paramref name="decoder"/>.
/// </summary>
internal sealed class WebSocketSubscribers(string target, byte[]? firstFrame, MessageDecoder decoder, string? subprotocol = null) : SubscriberProtocol
{
    public override Subscriber Connect(int id, IPEndPoint server, IPAddress source, TimeSpan timeout)
    {
        var (socket, leftover) = WebSocketConnector.Connect(server, source, target, firstFrame, timeout, subprotocol);
        return new Subscriber(id, socket, leftover) { Ready = decoder.ReadyOnOpen };
    }

    public override IStreamReader CreateReader(DeliveryTracker tracker) => new FrameReader(decoder, tracker);
}
