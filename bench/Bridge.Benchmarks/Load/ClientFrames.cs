using System.Buffers.Binary;
using System.Text;

namespace Bridge.Benchmarks.Load;

/// <summary>WebSocket frames as a client sends them (RFC 6455: always masked), and the upgrade request.</summary>
internal static class ClientFrames
{
    public const byte Continuation = 0x0;
    public const byte Text = 0x1;
    public const byte Binary = 0x2;
    public const byte Close = 0x8;
    public const byte Ping = 0x9;
    public const byte Pong = 0xA;

    /// <summary>The fixed key of every upgrade request, and the accept value RFC 6455 derives from it.</summary>
    public const string Key = "dGhlIHNhbXBsZSBub25jZQ==";
    public const string ExpectedAccept = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=";

    /// <summary>The largest header a client frame needs: 2 + 8 length bytes + 4 mask bytes.</summary>
    public const int MaxHeaderLength = 14;

    public static int FrameLength(int payloadLength) =>
        payloadLength + (payloadLength < 126 ? 6 : payloadLength <= ushort.MaxValue ? 8 : 14);

    /// <summary>Writes one final, masked frame; returns its length.</summary>
    public static int Write(Span<byte> destination, byte opcode, ReadOnlySpan<byte> payload, uint maskKey)
    {
        destination[0] = (byte)(0x80 | opcode);
        int header;
        if (payload.Length < 126)
        {
            destination[1] = (byte)(0x80 | payload.Length);
            header = 2;
        }
        else if (payload.Length <= ushort.MaxValue)
        {
            destination[1] = 0x80 | 126;
            BinaryPrimitives.WriteUInt16BigEndian(destination[2..], (ushort)payload.Length);
            header = 4;
        }
        else
        {
            destination[1] = 0x80 | 127;
            BinaryPrimitives.WriteUInt64BigEndian(destination[2..], (ulong)payload.Length);
            header = 10;
        }

        Span<byte> mask = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(mask, maskKey);
        mask.CopyTo(destination[header..]);
        header += 4;
        var body = destination.Slice(header, payload.Length);
        for (var i = 0; i < payload.Length; i++)
        {
            body[i] = (byte)(payload[i] ^ mask[i & 3]);
        }

        return header + payload.Length;
    }

    public static byte[] Create(byte opcode, ReadOnlySpan<byte> payload, uint maskKey = 0x5A17C3E1)
    {
        var frame = new byte[FrameLength(payload.Length)];
        Write(frame, opcode, payload, maskKey);
        return frame;
    }

    /// <summary>A Close frame with status 1000.</summary>
    public static byte[] NormalClose() => Create(Close, [0x03, 0xE8]);

    public static byte[] UpgradeRequest(string host, string target, string? subprotocol = null) =>
        Encoding.ASCII.GetBytes(
            $"GET {target} HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
            $"Sec-WebSocket-Key: {Key}\r\nSec-WebSocket-Version: 13\r\n" +
            (subprotocol is null ? "" : $"Sec-WebSocket-Protocol: {subprotocol}\r\n") + "\r\n");
}
