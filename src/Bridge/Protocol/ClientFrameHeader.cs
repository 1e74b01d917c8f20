using System.Buffers;
using System.Buffers.Binary;

namespace Bridge.Protocol;

/// <summary>
/// The header of a frame a client sends (RFC 6455 section 5.2), read and checked against the rules a
/// server must enforce: every client frame masked, no reserved bits (no extension is negotiated),
/// known opcodes only, control frames unfragmented and at most 125 bytes, a 64-bit length with its
/// top bit clear. What breaks a rule is a protocol error (1002) named by <see cref="Error"/>.
/// </summary>
internal readonly struct ClientFrameHeader
{
    /// <summary>The longest header: 2 bytes, an 8-byte extended length, a 4-byte mask.</summary>
    private const int MaxLength = 14;

    private ClientFrameHeader(bool fin, byte opcode, long payloadLength, uint maskKey, int length)
    {
        Fin = fin;
        Opcode = opcode;
        PayloadLength = payloadLength;
        MaskKey = maskKey;
        Length = length;
    }

    public bool Fin { get; }

    public byte Opcode { get; }

    public long PayloadLength { get; }

    /// <summary>The masking key, its first byte in the lowest bits (see <see cref="FrameMask"/>).</summary>
    public uint MaskKey { get; }

    /// <summary>Header bytes, mask included.</summary>
    public int Length { get; }

    public bool IsControl => (Opcode & 0x8) != 0;

    /// <summary>Reads a header from the start of <paramref name="buffer"/>.</summary>
    /// <returns>Null when the header is complete and valid (or incomplete: <paramref name="complete"/> false); else the protocol error.</returns>
    public static string? TryRead(in ReadOnlySequence<byte> buffer, out ClientFrameHeader header, out bool complete)
    {
        header = default;
        complete = false;
        Span<byte> bytes = stackalloc byte[MaxLength];
        var available = (int)Math.Min(buffer.Length, MaxLength);
        if (available < 2)
        {
            return null;
        }

        buffer.Slice(0, available).CopyTo(bytes);
        bytes = bytes[..available];

        var fin = (bytes[0] & 0x80) != 0;
        var opcode = (byte)(bytes[0] & 0x0F);
        if ((bytes[0] & 0x70) != 0)
        {
            return "reserved bits set";
        }

        if (opcode is not (Protocol.Opcode.Continuation or Protocol.Opcode.Text or Protocol.Opcode.Binary or Protocol.Opcode.Close or Protocol.Opcode.Ping or Protocol.Opcode.Pong))
        {
            return "unknown opcode";
        }

        if ((bytes[1] & 0x80) == 0)
        {
            return "unmasked frame";
        }

        var control = (opcode & 0x8) != 0;
        if (control && !fin)
        {
            return "fragmented control frame";
        }

        var length7 = bytes[1] & 0x7F;
        if (control && length7 > 125)
        {
            return "control frame too long";
        }

        var lengthBytes = length7 switch { 126 => 2, 127 => 8, _ => 0 };
        var headerLength = 2 + lengthBytes + 4;
        if (available < headerLength)
        {
            return null;
        }

        long payloadLength = lengthBytes switch
        {
            2 => BinaryPrimitives.ReadUInt16BigEndian(bytes[2..]),
            8 => (long)BinaryPrimitives.ReadUInt64BigEndian(bytes[2..]),
            _ => length7,
        };
        if (payloadLength < 0)
        {
            return "invalid frame length";
        }

        header = new ClientFrameHeader(fin, opcode, payloadLength, BinaryPrimitives.ReadUInt32LittleEndian(bytes[(2 + lengthBytes)..]), headerLength);
        complete = true;
        return null;
    }
}
