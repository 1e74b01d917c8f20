using System.Net.WebSockets;

namespace Bridge.Connections;

/// <summary>
/// How an admitted connection completes its opening handshake and ends: through Kestrel's HTTP
/// layer (<see cref="WebSocketEndpoint.HandleAsync"/>) or straight on the transport
/// (<see cref="DirectUpgradeMiddleware"/>). A struct per path, so a connection keeps no closure alive.
/// </summary>
internal interface IWebSocketUpgrade
{
    /// <summary>Sends the 101 (selecting <c>bridge.v1.json</c> when <paramref name="json"/>) and returns the upgraded transport.</summary>
    /// <param name="json">Whether the client offered, and gets, the JSON subprotocol.</param>
    /// <param name="connectedAt">Now, as a timestamp of the connection's TimeProvider (keep-alive counts from it).</param>
    Task<WebSocketChannel> AcceptAsync(bool json, long connectedAt);

    /// <summary>
    /// Called once when the WebSocket has ended (<paramref name="channel"/> is null when the
    /// handshake failed). An aborted connection is torn down at once; any other end lets the
    /// transport send what it holds, so a close frame is not cut off.
    /// </summary>
    void Complete(WebSocketChannel? channel, WebSocketState final);
}
