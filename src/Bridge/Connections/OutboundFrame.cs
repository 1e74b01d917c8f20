using System.Net.WebSockets;

namespace Bridge.Connections;

/// <summary>
/// One WebSocket message ready to send. Built once per publication and shared by reference with
/// every subscriber's queue, so fan-out serializes nothing per client.
/// </summary>
internal sealed class OutboundFrame(ReadOnlyMemory<byte> payload, WebSocketMessageType messageType)
{
    public ReadOnlyMemory<byte> Payload { get; } = payload;

    public WebSocketMessageType MessageType { get; } = messageType;
}
