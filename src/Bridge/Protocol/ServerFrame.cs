using System.Buffers.Binary;

namespace Bridge.Protocol;

/// <summary>
/// RFC 6455 section 5.2 framing for what a server sends: one unfragmented, unmasked frame with the
/// FIN bit set. Data frames are framed here once per publication; control frames (ping, pong,
/// close) and everything the bridge receives stay with <see cref="System.Net.WebSockets.WebSocket"/>.
/// </summary>
internal static class ServerFrame
{
    public const byte TextOpcode = 0x1;
    public const byte BinaryOpcode = 0x2;
    public const byte CloseOpcode = 0x8;

    private const byte Fin = 0x80;

    /// <summary>Header bytes for a payload of this length: 2, 4 (16-bit length) or 10 (64-bit length).</summary>
    public static int HeaderLength(int payloadLength) => payloadLength switch
    {
        <= 125 => 2,
        <= ushort.MaxValue => 4,
        _ => 10,
    };

    /// <summary>Writes the header at the start of <paramref name="destination"/>; returns its length.</summary>
    public static int WriteHeader(Span<byte> destination, byte opcode, int payloadLength)
    {
        destination[0] = (byte)(Fin | opcode);
        switch (payloadLength)
        {
            case <= 125:
                destination[1] = (byte)payloadLength;
                return 2;
            case <= ushort.MaxValue:
                destination[1] = 126;
                BinaryPrimitives.WriteUInt16BigEndian(destination[2..], (ushort)payloadLength);
                return 4;
            default:
                destination[1] = 127;
                BinaryPrimitives.WriteUInt64BigEndian(destination[2..], (ulong)payloadLength);
                return 10;
        }
    }

    /// <summary>Whether these bytes, written by the WebSocket as one frame, are a close frame.</summary>
    public static bool IsClose(ReadOnlySpan<byte> frame) => frame.Length > 0 && (frame[0] & 0x0F) == CloseOpcode;
}
