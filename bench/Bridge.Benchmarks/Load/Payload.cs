using System.Globalization;

namespace Bridge.Benchmarks.Load;

/// <summary>
/// The message every server carries, the same bytes for all of them (ASCII, so it also travels as a
/// JSON string): 16 hex digits of the message index, 16 hex digits of the send time in
/// <see cref="System.Diagnostics.Stopwatch"/> ticks (the generator and the publisher share one
/// clock: they are the same process), then 'x' up to the payload size.
/// </summary>
internal static class Payload
{
    /// <summary>Bytes taken by the index and the timestamp; the smallest payload.</summary>
    public const int PrefixLength = 32;

    private static ReadOnlySpan<byte> HexValues =>
    [
        255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
        255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
        255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
        0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 255, 255, 255, 255, 255, 255,
        255, 10, 11, 12, 13, 14, 15, 255, 255, 255, 255, 255, 255, 255, 255, 255,
        255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
        255, 10, 11, 12, 13, 14, 15, 255, 255, 255, 255, 255, 255, 255, 255, 255,
        255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
    ];

    /// <summary>Writes a payload of <c>destination.Length</c> bytes.</summary>
    public static void Write(Span<byte> destination, long index, long timestamp)
    {
        if (destination.Length < PrefixLength)
        {
            throw new ArgumentException($"A payload needs at least {PrefixLength} bytes.", nameof(destination));
        }

        index.TryFormat(destination, out _, "x16", CultureInfo.InvariantCulture);
        timestamp.TryFormat(destination[16..], out _, "x16", CultureInfo.InvariantCulture);
        destination[PrefixLength..].Fill((byte)'x');
    }

    /// <summary>The payload as a string (for gRPC's text field and SignalR's string argument).</summary>
    public static string CreateString(int size, long index, long timestamp) =>
        string.Create(size, (index, timestamp), static (chars, state) =>
        {
            state.index.TryFormat(chars, out _, "x16", CultureInfo.InvariantCulture);
            state.timestamp.TryFormat(chars[16..], out _, "x16", CultureInfo.InvariantCulture);
            chars[PrefixLength..].Fill('x');
        });

    public static bool TryParse(ReadOnlySpan<byte> payload, out long index, out long timestamp)
    {
        timestamp = 0;
        return TryParseHex(payload, 0, out index) & TryParseHex(payload, 16, out timestamp);
    }

    public static bool TryParse(ReadOnlySpan<char> payload, out long index, out long timestamp)
    {
        timestamp = 0;
        index = 0;
        if (payload.Length < PrefixLength)
        {
            return false;
        }

        Span<byte> prefix = stackalloc byte[PrefixLength];
        for (var i = 0; i < PrefixLength; i++)
        {
            prefix[i] = payload[i] < 128 ? (byte)payload[i] : (byte)0;
        }

        return TryParse(prefix, out index, out timestamp);
    }

    private static bool TryParseHex(ReadOnlySpan<byte> payload, int offset, out long value)
    {
        value = 0;
        if (payload.Length < offset + 16)
        {
            return false;
        }

        var table = HexValues;
        ulong result = 0;
        var bad = 0;
        for (var i = offset; i < offset + 16; i++)
        {
            var c = payload[i];
            var digit = c < 128 ? table[c] : 255;
            bad |= digit & 0x80;
            result = (result << 4) | (uint)(digit & 0xF);
        }

        value = (long)result;
        return bad == 0;
    }
}
