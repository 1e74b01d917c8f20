using System.Net.WebSockets;
using System.Text;
using Bridge.Protocol;

namespace Bridge.Connections;

/// <summary>
/// One complete WebSocket frame (header and payload), built once per publication and shared by
/// reference with every subscriber's queue: fan-out serializes nothing per client, and sending to
/// a subscriber is copying these bytes into its next transport write.
/// </summary>
internal sealed class OutboundFrame
{
    private OutboundFrame(byte[] bytes, int payloadOffset, WebSocketMessageType messageType)
    {
        Bytes = bytes;
        PayloadOffset = payloadOffset;
        MessageType = messageType;
    }

    /// <summary>The whole frame as it goes on the wire.</summary>
    public byte[] Bytes { get; }

    /// <summary>Where the payload starts in <see cref="Bytes"/> (after the header).</summary>
    public int PayloadOffset { get; }

    /// <summary>The payload alone (UTF-8 for text): what other encodings (JSON, SSE) are built from.</summary>
    public ReadOnlySpan<byte> Payload => Bytes.AsSpan(PayloadOffset);

    public bool IsText => MessageType == WebSocketMessageType.Text;

    public WebSocketMessageType MessageType { get; }

    public static OutboundFrame Text(string text) => Text(text, Encoding.UTF8.GetByteCount(text));

    /// <param name="text">The payload.</param>
    /// <param name="length">Its UTF-8 byte count, when the caller already counted it.</param>
    public static OutboundFrame Text(string text, int length)
    {
        var bytes = new byte[ServerFrame.HeaderLength(length) + length];
        var header = ServerFrame.WriteHeader(bytes, Opcode.Text, length);
        Encoding.UTF8.GetBytes(text, bytes.AsSpan(header));
        return new OutboundFrame(bytes, header, WebSocketMessageType.Text);
    }

    /// <summary>A ping or pong (<paramref name="opcode"/>) with up to 125 bytes of payload.</summary>
    public static OutboundFrame Control(byte opcode, ReadOnlySpan<byte> payload) =>
        new(ServerFrame.Control(opcode, payload), 2, WebSocketMessageType.Binary);

    /// <summary>The keep-alive ping, the same bytes for every connection.</summary>
    public static readonly OutboundFrame Ping = Control(Opcode.Ping, []);

    public static OutboundFrame Binary(ReadOnlySpan<byte> payload)
    {
        var bytes = new byte[ServerFrame.HeaderLength(payload.Length) + payload.Length];
        var header = ServerFrame.WriteHeader(bytes, Opcode.Binary, payload.Length);
        payload.CopyTo(bytes.AsSpan(header));
        return new OutboundFrame(bytes, header, WebSocketMessageType.Binary);
    }

    /// <summary>A text frame around UTF-8 the caller already encoded (a JSON envelope).</summary>
    public static OutboundFrame Utf8Text(ReadOnlySpan<byte> utf8)
    {
        var bytes = new byte[ServerFrame.HeaderLength(utf8.Length) + utf8.Length];
        var header = ServerFrame.WriteHeader(bytes, Opcode.Text, utf8.Length);
        utf8.CopyTo(bytes.AsSpan(header));
        return new OutboundFrame(bytes, header, WebSocketMessageType.Text);
    }
}
