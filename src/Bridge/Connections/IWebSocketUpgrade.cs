namespace Bridge.Connections;

/// <summary>
/// How an admitted connection completes its opening handshake: through Kestrel's HTTP layer
/// (<see cref="WebSocketEndpoint.HandleAsync"/>) or straight on the transport
/// (<see cref="DirectUpgradeMiddleware"/>). A struct per path, so a connection keeps no closure alive.
/// </summary>
internal interface IWebSocketUpgrade
{
    /// <summary>Sends the 101 (selecting <c>bridge.v1.json</c> when <paramref name="json"/>) and returns the upgraded transport.</summary>
    Task<Stream> AcceptAsync(bool json);
}
