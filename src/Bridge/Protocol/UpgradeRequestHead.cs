using System.Buffers;
using System.Text;

namespace Bridge.Protocol;

/// <summary>
/// The head of an HTTP/1.1 request that asks to open <c>/ws</c> as a WebSocket, read straight off a
/// new connection by <see cref="Connections.DirectUpgradeMiddleware"/>. Only a plainly valid
/// upgrade parses; everything else (another path, HTTP/1.0, a body, an odd header, a handshake
/// error) is left to Kestrel's HTTP layer, which answers it exactly as before. Parsing allocates
/// only what it keeps: every connection pays for it once, and idle-connection memory counts it.
/// </summary>
/// <param name="Query">The query string without its <c>?</c>, still percent-encoded.</param>
/// <param name="Key">The client's <c>Sec-WebSocket-Key</c>, as sent.</param>
/// <param name="OffersJson">Whether <c>Sec-WebSocket-Protocol</c> offers <see cref="JsonEnvelopes.Subprotocol"/> (compared exactly, as the HTTP path does).</param>
internal sealed record UpgradeRequestHead(string Query, byte[] Key, bool OffersJson)
{
    /// <summary>Request heads longer than this are left to Kestrel (its own limits apply there).</summary>
    public const int MaxHeadBytes = 8 * 1024;

    private static readonly SearchValues<byte> Ipv6Characters = SearchValues.Create("0123456789abcdefABCDEF:."u8);
    private static readonly SearchValues<byte> HostNameCharacters = SearchValues.Create("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_"u8);
    private static readonly SearchValues<byte> Digits = SearchValues.Create("0123456789"u8);

    /// <summary>More headers than Kestrel's default limit (100) are left to Kestrel, which refuses them.</summary>
    private const int MaxHeaders = 100;

    private static ReadOnlySpan<byte> EndOfHead => "\r\n\r\n"u8;

    /// <summary>Reads a request head from the start of <paramref name="buffer"/>.</summary>
    /// <param name="buffer">What the connection has received so far.</param>
    /// <param name="head">The upgrade request, when the result is <see cref="HeadParse.Upgrade"/>.</param>
    /// <param name="end">Where the head ends (the first byte after its blank line).</param>
    public static HeadParse TryParse(in ReadOnlySequence<byte> buffer, out UpgradeRequestHead? head, out SequencePosition end)
    {
        head = null;
        end = buffer.Start;
        var reader = new SequenceReader<byte>(buffer);
        if (!reader.TryReadTo(out ReadOnlySequence<byte> lines, EndOfHead))
        {
            // A head ended by bare line feeds never gets its CRLF CRLF: hand it over at once, not after the timeout.
            var bareEnd = new SequenceReader<byte>(buffer).TryReadTo(out ReadOnlySequence<byte> _, "\n\n"u8);
            return buffer.Length >= MaxHeadBytes || bareEnd ? HeadParse.Other : HeadParse.Incomplete;
        }

        if (lines.Length + EndOfHead.Length > MaxHeadBytes)
        {
            return HeadParse.Other;
        }

        end = reader.Position;
        if (lines.IsSingleSegment)
        {
            head = Parse(lines.FirstSpan);
        }
        else
        {
            Span<byte> copy = stackalloc byte[(int)lines.Length];
            lines.CopyTo(copy);
            head = Parse(copy);
        }

        return head is null ? HeadParse.Other : HeadParse.Upgrade;
    }

    private static UpgradeRequestHead? Parse(ReadOnlySpan<byte> text)
    {
        var lineEnd = text.IndexOf("\r\n"u8);
        var requestLine = lineEnd < 0 ? text : text[..lineEnd];
        if (!requestLine.StartsWith("GET /ws"u8) || !requestLine.EndsWith(" HTTP/1.1"u8))
        {
            return null;
        }

        var target = requestLine["GET ".Length..^" HTTP/1.1".Length];
        if (target.Length > 3 && target[3] != (byte)'?' || !IsVisibleAscii(target))
        {
            return null;
        }

        ReadOnlySpan<byte> key = default, version = default;
        bool host = false, hasKey = false, hasVersion = false, upgrade = false, connectionUpgrade = false, json = false;
        var rest = lineEnd < 0 ? [] : text[(lineEnd + 2)..];
        var headers = 0;
        while (!rest.IsEmpty)
        {
            if (++headers > MaxHeaders)
            {
                return null;
            }

            var next = rest.IndexOf("\r\n"u8);
            var line = next < 0 ? rest : rest[..next];
            rest = next < 0 ? [] : rest[(next + 2)..];
            var colon = line.IndexOf((byte)':');
            if (colon <= 0 || !IsToken(line[..colon]) || !IsFieldValue(line[(colon + 1)..]))
            {
                return null;
            }

            var name = line[..colon];
            var value = line[(colon + 1)..].Trim(" \t"u8);
            if (Is(name, "Host"))
            {
                if (host || !IsHost(value))
                {
                    return null;
                }

                host = true;
            }
            else if (Is(name, "Sec-WebSocket-Key"))
            {
                if (hasKey)
                {
                    return null;
                }

                hasKey = true;
                key = value;
            }
            else if (Is(name, "Sec-WebSocket-Version"))
            {
                if (hasVersion)
                {
                    return null;
                }

                hasVersion = true;
                version = value;
            }
            else if (Is(name, "Upgrade"))
            {
                upgrade |= HasToken(value, "websocket"u8, ignoreCase: true);
            }
            else if (Is(name, "Connection"))
            {
                connectionUpgrade |= HasToken(value, "upgrade"u8, ignoreCase: true);
            }
            else if (Is(name, "Sec-WebSocket-Protocol"))
            {
                json |= HasToken(value, JsonEnvelopes.SubprotocolUtf8, ignoreCase: false);
            }
            else if (Is(name, "Content-Length") || Is(name, "Transfer-Encoding"))
            {
                // A request with a body is not upgradable; Kestrel says so.
                return null;
            }
        }

        if (!host || !upgrade || !connectionUpgrade || !version.SequenceEqual("13"u8) || !WebSocketHandshake.IsValidKey(key))
        {
            return null;
        }

        var query = target.Length > 4 ? Encoding.ASCII.GetString(target[4..]) : string.Empty;
        return new UpgradeRequestHead(query, key.ToArray(), json);
    }

    private static bool Is(ReadOnlySpan<byte> name, string expected) =>
        name.Length == expected.Length && Ascii.EqualsIgnoreCase(name, expected);

    /// <summary>Whether the comma-separated <paramref name="value"/> lists <paramref name="token"/>.</summary>
    private static bool HasToken(ReadOnlySpan<byte> value, ReadOnlySpan<byte> token, bool ignoreCase)
    {
        foreach (var range in value.Split((byte)','))
        {
            var part = value[range].Trim(" \t"u8);
            if (ignoreCase ? Ascii.EqualsIgnoreCase(part, token) : part.SequenceEqual(token))
            {
                return true;
            }
        }

        return false;
    }

    private static bool IsVisibleAscii(ReadOnlySpan<byte> bytes)
    {
        foreach (var b in bytes)
        {
            if (b is < 0x21 or > 0x7E or (byte)'#')
            {
                return false;
            }
        }

        return true;
    }

    // RFC 9110 token characters.
    private static bool IsToken(ReadOnlySpan<byte> bytes)
    {
        foreach (var b in bytes)
        {
            if (!(char.IsAsciiLetterOrDigit((char)b) || "!#$%&'*+-.^_`|~"u8.Contains(b)))
            {
                return false;
            }
        }

        return true;
    }

    // Visible ASCII, spaces and tabs only: anything else is for Kestrel's rules to judge.
    private static bool IsFieldValue(ReadOnlySpan<byte> bytes)
    {
        foreach (var b in bytes)
        {
            if (b is not ((>= 0x20 and <= 0x7E) or (byte)'\t'))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// A plain host and optional port: a name of letters, digits, dots, hyphens and underscores, an
    /// IPv4 address, or a bracketed IPv6 address; then <c>:</c> and up to five digits. Anything
    /// else (legal or not) is for Kestrel's own Host rules to judge.
    /// </summary>
    private static bool IsHost(ReadOnlySpan<byte> value)
    {
        var host = value;
        var port = ReadOnlySpan<byte>.Empty;
        if (value.StartsWith("["u8))
        {
            var close = value.IndexOf((byte)']');
            if (close < 2 || value[1..close].IndexOfAnyExcept(Ipv6Characters) >= 0)
            {
                return false;
            }

            host = value[..(close + 1)];
            var after = value[(close + 1)..];
            if (!after.IsEmpty && (after[0] != (byte)':'))
            {
                return false;
            }

            port = after.IsEmpty ? after : after[1..];
            if (!after.IsEmpty && port.IsEmpty)
            {
                return false;
            }
        }
        else
        {
            var colon = value.IndexOf((byte)':');
            if (colon >= 0)
            {
                host = value[..colon];
                port = value[(colon + 1)..];
                if (port.IsEmpty)
                {
                    return false;
                }
            }

            if (host.IsEmpty || host.IndexOfAnyExcept(HostNameCharacters) >= 0)
            {
                return false;
            }
        }

        return port.Length <= 5 && port.IndexOfAnyExcept(Digits) < 0;
    }
}

/// <summary>What <see cref="UpgradeRequestHead.TryParse"/> found.</summary>
internal enum HeadParse
{
    /// <summary>The head has not fully arrived yet.</summary>
    Incomplete,

    /// <summary>A valid WebSocket upgrade of <c>/ws</c>.</summary>
    Upgrade,

    /// <summary>Anything else: for the HTTP layer.</summary>
    Other,
}
