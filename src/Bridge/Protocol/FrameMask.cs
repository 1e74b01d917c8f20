using System.Buffers.Binary;
using System.Numerics;

namespace Bridge.Protocol;

/// <summary>RFC 6455 section 5.3: the client's masking, undone eight bytes at a time.</summary>
internal static class FrameMask
{
    /// <summary>Unmasks <paramref name="data"/> in place; <paramref name="offset"/> is its position in the frame's payload.</summary>
    public static void Apply(Span<byte> data, uint maskKey, long offset)
    {
        // Byte i of the payload is XORed with key byte i % 4: rotate the key so data[0] meets the right byte.
        var key = BitOperations.RotateRight(maskKey, (int)(offset & 3) * 8);
        var key8 = key | ((ulong)key << 32);
        var i = 0;
        for (; i + 8 <= data.Length; i += 8)
        {
            var chunk = data.Slice(i, 8);
            BinaryPrimitives.WriteUInt64LittleEndian(chunk, BinaryPrimitives.ReadUInt64LittleEndian(chunk) ^ key8);
        }

        for (; i < data.Length; i++)
        {
            data[i] ^= (byte)(key >> ((i & 3) * 8));
        }
    }
}
