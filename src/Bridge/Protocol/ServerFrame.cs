using System.Buffers.Binary;

namespace Bridge.Protocol;

/// <summary>
/// RFC 6455 section 5.2 framing for what a server sends: one unfragmented, unmasked frame with the
/// FIN bit set. Data frames are framed here once per publication; control frames (ping, pong,
/// close) when they are sent. What clients send is read by <see cref="ClientFrameHeader"/>.
/// </summary>
internal static class ServerFrame
{
    /// <summary>The longest close reason: a control frame's 125 bytes less the 2-byte code.</summary>
    public const int MaxCloseReasonBytes = 123;

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

    /// <summary>A whole control frame (ping, pong) around <paramref name="payload"/> (at most 125 bytes).</summary>
    public static byte[] Control(byte opcode, ReadOnlySpan<byte> payload)
    {
        var bytes = new byte[2 + payload.Length];
        WriteHeader(bytes, opcode, payload.Length);
        payload.CopyTo(bytes.AsSpan(2));
        return bytes;
    }

    /// <summary>Writes a close frame with <paramref name="status"/> and <paramref name="reason"/> (cut to 123 UTF-8 bytes on a character boundary); returns its length.</summary>
    public static int WriteClose(Span<byte> destination, ushort status, string reason)
    {
        Span<byte> payload = stackalloc byte[2 + MaxCloseReasonBytes];
        BinaryPrimitives.WriteUInt16BigEndian(payload, status);
        var reasonBytes = 0;
        if (reason.Length > 0)
        {
            var encoder = System.Text.Encoding.UTF8.GetEncoder();
            encoder.Convert(reason, payload[2..], flush: true, out _, out reasonBytes, out _);
        }

        var header = WriteHeader(destination, Opcode.Close, 2 + reasonBytes);
        payload[..(2 + reasonBytes)].CopyTo(destination[header..]);
        return header + 2 + reasonBytes;
    }

    /// <summary>Room enough for any close frame <see cref="WriteClose"/> writes.</summary>
    public const int MaxCloseFrameBytes = 2 + 2 + MaxCloseReasonBytes;
}
