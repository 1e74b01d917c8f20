using System.IO.Pipelines;
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
    Task<IDuplexPipe> AcceptAsync(bool json);

    /// <summary>
    /// Called once when the WebSocket has ended (<paramref name="transport"/> is null when the
    /// handshake failed). An aborted connection is torn down at once; any other end lets the
    /// transport send what it holds, so a close frame is not cut off.
    /// </summary>
    void Complete(IDuplexPipe? transport, WebSocketState final);
}
