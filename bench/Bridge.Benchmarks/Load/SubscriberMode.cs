namespace Bridge.Benchmarks.Load;

/// <summary>How a subscriber talks to the server: the plain WebSocket every server speaks, or the bridge's other protocols.</summary>
internal enum SubscriberMode
{
    /// <summary>A WebSocket whose every message is one payload.</summary>
    Plain,

    /// <summary>The bridge's JSON subprotocol <c>bridge.v1.json</c>: <c>subscribe</c>, then <c>message</c> envelopes.</summary>
    Json,

    /// <summary>The bridge's Server-Sent Events: <c>GET /sse</c>, a chunked <c>text/event-stream</c>.</summary>
    Sse,
}
