using System.Net.WebSockets;

namespace Bridge.Connections;

/// <summary>
/// Why and how the server closes a connection. The codes are the ones documented in docs/protocol.md.
/// </summary>
/// <param name="Status">The close code sent to the peer.</param>
/// <param name="Reason">The close reason sent to the peer (at most 123 UTF-8 bytes).</param>
/// <param name="DiscardPending">Drop queued frames instead of sending them before the close.</param>
internal sealed record CloseRequest(WebSocketCloseStatus Status, string Reason, bool DiscardPending)
{
    /// <summary>1001: the server is shutting down; queued frames are still sent first.</summary>
    public static readonly CloseRequest GoingAway = new(WebSocketCloseStatus.EndpointUnavailable, "going away", DiscardPending: false);

    /// <summary>1008: the connection's send queue overflowed.</summary>
    public static readonly CloseRequest SlowConsumer = new(WebSocketCloseStatus.PolicyViolation, "slow consumer", DiscardPending: true);

    /// <summary>1008: a JSON client drew too many error answers in a short time.</summary>
    public static readonly CloseRequest TooManyInvalidRequests = new(WebSocketCloseStatus.PolicyViolation, "too many invalid requests", DiscardPending: false);

    /// <summary>1011: handling the peer's request failed unexpectedly (a bug, logged as a warning).</summary>
    public static readonly CloseRequest InternalError = new(WebSocketCloseStatus.InternalServerError, "internal error", DiscardPending: true);

    /// <summary>1009: the peer sent a message over <c>Bridge:MaxClientMessageBytes</c>.</summary>
    public static readonly CloseRequest MessageTooBig = new(WebSocketCloseStatus.MessageTooBig, "message too big", DiscardPending: true);

    /// <summary>1007: the peer sent a text message that is not valid UTF-8.</summary>
    public static readonly CloseRequest InvalidUtf8 = new(WebSocketCloseStatus.InvalidPayloadData, "invalid UTF-8 in text message", DiscardPending: true);

    /// <summary>1007: the peer's close frame carried a reason that is not valid UTF-8.</summary>
    public static readonly CloseRequest InvalidUtf8CloseReason = new(WebSocketCloseStatus.InvalidPayloadData, "invalid UTF-8 in close reason", DiscardPending: true);

    /// <summary>1002: the peer broke RFC 6455 framing; <paramref name="reason"/> names the rule (docs/protocol.md).</summary>
    public static CloseRequest ProtocolError(string reason) => new(WebSocketCloseStatus.ProtocolError, reason, DiscardPending: true);

    /// <summary>The peer closed first: answer with its own code, as RFC 6455 suggests.</summary>
    public static CloseRequest PeerClosed(WebSocketCloseStatus? status) =>
        new(status ?? WebSocketCloseStatus.NormalClosure, string.Empty, DiscardPending: true);

    /// <summary>The transport is gone; nothing can be sent any more.</summary>
    public static readonly CloseRequest Lost = new(WebSocketCloseStatus.EndpointUnavailable, string.Empty, DiscardPending: true);
}
