using System.Buffers.Text;
using System.Text;

namespace Bridge.Benchmarks.Load;

/// <summary>
/// The top-level fields of one <c>bridge.v1.json</c> envelope that the generator checks, read in
/// place without allocating: any field order, unknown fields (of any JSON type) skipped. String
/// values are left escaped (<see cref="DataEscaped"/> says whether <see cref="Data"/> needs
/// <see cref="Unescape"/>); keys are compared after unescaping.
/// </summary>
internal ref struct JsonEnvelope
{
    public ReadOnlySpan<byte> Type;
    public ReadOnlySpan<byte> Topic;
    public ReadOnlySpan<byte> Data;
    public bool DataEscaped;
    public ReadOnlySpan<byte> Code;

    /// <summary>The <c>sequence</c> field; -1 when absent.</summary>
    public long Sequence;

    /// <summary>The <c>skipped</c> field; 0 when absent.</summary>
    public long Skipped;

    /// <summary>Reads the object in <paramref name="json"/>; false if it is not one JSON object.</summary>
    public static bool TryParse(ReadOnlySpan<byte> json, out JsonEnvelope envelope)
    {
        envelope = default;
        envelope.Sequence = -1;
        var i = SkipWhitespace(json, 0);
        if (i >= json.Length || json[i] != '{')
        {
            return false;
        }

        i = SkipWhitespace(json, i + 1);
        if (i < json.Length && json[i] == '}')
        {
            return SkipWhitespace(json, i + 1) == json.Length;
        }

        Span<byte> keyBuffer = stackalloc byte[32];
        while (true)
        {
            if (!TryReadString(json, ref i, out var rawKey, out var keyEscaped))
            {
                return false;
            }

            // Keys longer than any field read here need no unescaping: they are skipped either way.
            var key = keyEscaped && rawKey.Length <= keyBuffer.Length && Unescape(rawKey, keyBuffer) is var n and >= 0 ? keyBuffer[..n] : rawKey;
            i = SkipWhitespace(json, i);
            if (i >= json.Length || json[i] != ':')
            {
                return false;
            }

            i = SkipWhitespace(json, i + 1);
            if (i >= json.Length)
            {
                return false;
            }

            if (json[i] == '"')
            {
                if (!TryReadString(json, ref i, out var value, out var escaped))
                {
                    return false;
                }

                if (key.SequenceEqual("type"u8))
                {
                    envelope.Type = value;
                }
                else if (key.SequenceEqual("topic"u8))
                {
                    envelope.Topic = value;
                }
                else if (key.SequenceEqual("data"u8))
                {
                    envelope.Data = value;
                    envelope.DataEscaped = escaped;
                }
                else if (key.SequenceEqual("code"u8))
                {
                    envelope.Code = value;
                }
            }
            else
            {
                var start = i;
                if (!TrySkipValue(json, ref i))
                {
                    return false;
                }

                if (key.SequenceEqual("sequence"u8) && !TryReadInteger(json[start..i], out envelope.Sequence))
                {
                    return false;
                }

                if (key.SequenceEqual("skipped"u8) && !TryReadInteger(json[start..i], out envelope.Skipped))
                {
                    return false;
                }
            }

            i = SkipWhitespace(json, i);
            if (i >= json.Length)
            {
                return false;
            }

            if (json[i] == '}')
            {
                return SkipWhitespace(json, i + 1) == json.Length;
            }

            if (json[i] != ',')
            {
                return false;
            }

            i = SkipWhitespace(json, i + 1);
        }
    }

    /// <summary>
    /// Writes the text of an escaped JSON string body (without its quotes) as UTF-8 into
    /// <paramref name="destination"/> (never longer than the source); returns its length, or -1 if
    /// an escape is invalid or the destination too short.
    /// </summary>
    public static int Unescape(ReadOnlySpan<byte> source, Span<byte> destination)
    {
        var written = 0;
        var i = 0;
        while (i < source.Length)
        {
            var backslash = source[i..].IndexOf((byte)'\\');
            var plain = backslash < 0 ? source.Length - i : backslash;
            if (written + plain > destination.Length)
            {
                return -1;
            }

            source.Slice(i, plain).CopyTo(destination[written..]);
            written += plain;
            i += plain;
            if (backslash < 0)
            {
                return written;
            }

            if (i + 1 >= source.Length || written >= destination.Length)
            {
                return -1;
            }

            var escape = source[i + 1];
            i += 2;
            byte simple = escape switch
            {
                (byte)'"' => (byte)'"',
                (byte)'\\' => (byte)'\\',
                (byte)'/' => (byte)'/',
                (byte)'b' => 0x08,
                (byte)'f' => 0x0C,
                (byte)'n' => (byte)'\n',
                (byte)'r' => (byte)'\r',
                (byte)'t' => (byte)'\t',
                _ => 0,
            };
            if (simple != 0)
            {
                destination[written++] = simple;
                continue;
            }

            if (escape != 'u' || !TryReadHex4(source, i, out var unit))
            {
                return -1;
            }

            i += 4;
            int scalar = unit;
            if (char.IsHighSurrogate((char)unit) && i + 6 <= source.Length && source[i] == '\\' && source[i + 1] == 'u'
                && TryReadHex4(source, i + 2, out var low) && char.IsLowSurrogate((char)low))
            {
                scalar = char.ConvertToUtf32((char)unit, (char)low);
                i += 6;
            }
            else if (char.IsSurrogate((char)unit))
            {
                // A lone surrogate is no Unicode text; written as U+FFFD, as a UTF-8 decoder would.
                scalar = 0xFFFD;
            }

            if (!new Rune(scalar).TryEncodeToUtf8(destination[written..], out var length))
            {
                return -1;
            }

            written += length;
        }

        return written;
    }

    private static int SkipWhitespace(ReadOnlySpan<byte> json, int i)
    {
        while (i < json.Length && json[i] is (byte)' ' or (byte)'\t' or (byte)'\n' or (byte)'\r')
        {
            i++;
        }

        return i;
    }

    /// <summary>Reads the string starting at the quote at <paramref name="i"/>; leaves <paramref name="i"/> after its closing quote.</summary>
    private static bool TryReadString(ReadOnlySpan<byte> json, scoped ref int i, out ReadOnlySpan<byte> body, out bool escaped)
    {
        body = default;
        escaped = false;
        if (i >= json.Length || json[i] != '"')
        {
            return false;
        }

        var start = i + 1;
        var position = start;
        while (true)
        {
            var next = json[position..].IndexOfAny((byte)'"', (byte)'\\');
            if (next < 0)
            {
                return false;
            }

            position += next;
            if (json[position] == '"')
            {
                body = json[start..position];
                i = position + 1;
                return true;
            }

            // A backslash and the character it escapes (a \u's four hex digits hold no quote).
            escaped = true;
            position += 2;
            if (position > json.Length)
            {
                return false;
            }
        }
    }

    /// <summary>Skips a number, literal, object or array at <paramref name="i"/> (strings are read by the caller).</summary>
    private static bool TrySkipValue(ReadOnlySpan<byte> json, scoped ref int i)
    {
        var first = json[i];
        if (first is (byte)'{' or (byte)'[')
        {
            var depth = 0;
            while (i < json.Length)
            {
                switch (json[i])
                {
                    case (byte)'"':
                        if (!TryReadString(json, ref i, out _, out _))
                        {
                            return false;
                        }

                        continue;
                    case (byte)'{' or (byte)'[':
                        depth++;
                        break;
                    case (byte)'}' or (byte)']':
                        depth--;
                        if (depth == 0)
                        {
                            i++;
                            return true;
                        }

                        break;
                }

                i++;
            }

            return false;
        }

        var start = i;
        while (i < json.Length && json[i] is not ((byte)',' or (byte)'}' or (byte)']' or (byte)' ' or (byte)'\t' or (byte)'\n' or (byte)'\r'))
        {
            i++;
        }

        var token = json[start..i];
        return token.SequenceEqual("true"u8) || token.SequenceEqual("false"u8) || token.SequenceEqual("null"u8)
            || (token.Length > 0 && (first == '-' || char.IsAsciiDigit((char)first)) && Utf8Parser.TryParse(token, out double _, out var used) && used == token.Length);
    }

    private static bool TryReadInteger(ReadOnlySpan<byte> token, out long value) =>
        Utf8Parser.TryParse(token, out value, out var used) && used == token.Length;

    private static bool TryReadHex4(ReadOnlySpan<byte> source, int i, out int value)
    {
        value = 0;
        if (i + 4 > source.Length)
        {
            return false;
        }

        for (var k = i; k < i + 4; k++)
        {
            var c = source[k];
            var digit = c switch
            {
                >= (byte)'0' and <= (byte)'9' => c - '0',
                >= (byte)'a' and <= (byte)'f' => c - 'a' + 10,
                >= (byte)'A' and <= (byte)'F' => c - 'A' + 10,
                _ => -1,
            };
            if (digit < 0)
            {
                return false;
            }

            value = (value << 4) | digit;
        }

        return true;
    }
}
