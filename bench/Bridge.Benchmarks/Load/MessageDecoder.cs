namespace Bridge.Benchmarks.Load;

/// <summary>How a server wraps each benchmark payload inside a WebSocket message.</summary>
internal abstract class MessageDecoder
{
    /// <summary>Whether a subscriber receives payloads as soon as its WebSocket is open (else once the decoder has seen it subscribed).</summary>
    public virtual bool ReadyOnOpen => true;

    /// <summary>Hands every payload in <paramref name="message"/> to <paramref name="tracker"/>.</summary>
    public abstract void Decode(Subscriber subscriber, ReadOnlySpan<byte> message, long now, DeliveryTracker tracker);
}

/// <summary>One WebSocket message is one payload (the bridge, the naive broadcaster, raw ceiling, nchan).</summary>
internal sealed class PlainDecoder : MessageDecoder
{
    public static readonly PlainDecoder Instance = new();

    public override void Decode(Subscriber subscriber, ReadOnlySpan<byte> message, long now, DeliveryTracker tracker) =>
        tracker.Deliver(subscriber, message, now);
}
