using System.Buffers;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Primitives;

namespace Bridge.Protocol;

/// <summary>
/// The server side of the RFC 6455 opening handshake (section 4.2). The bridge performs it itself,
/// instead of ASP.NET's WebSocket middleware, because it frames the connection itself afterwards
/// (<see cref="Connections.WebSocketChannel"/>, <see cref="Connections.ClientFrameReader"/>).
/// </summary>
internal static class WebSocketHandshake
{
    private const string AcceptGuid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

    /// <summary>Whether the request asks for a WebSocket upgrade at all (GET with <c>Upgrade: websocket</c>).</summary>
    public static bool IsUpgradeRequest(HttpContext context) =>
        HttpMethods.IsGet(context.Request.Method) && HasToken(context.Request.Headers.Upgrade, "websocket");

    /// <summary>
    /// Checks the rest of the handshake; returns the status and reason it is invalid, or null. An
    /// unknown version gets 426 with the version the server speaks (RFC 6455 section 4.2.2).
    /// </summary>
    public static (int StatusCode, string Reason)? Validate(HttpContext context)
    {
        var headers = context.Request.Headers;

        // Kestrel offers the upgrade only when Connection names Upgrade (and the request has no body).
        if (!HasToken(headers.Connection, "Upgrade") || context.Features.Get<IHttpUpgradeFeature>() is not { IsUpgradableRequest: true })
        {
            return (StatusCodes.Status400BadRequest, "the Connection header must include Upgrade");
        }

        if (headers.SecWebSocketVersion.ToString() != "13")
        {
            context.Response.Headers.SecWebSocketVersion = "13";
            return (StatusCodes.Status426UpgradeRequired, "unsupported Sec-WebSocket-Version; this server speaks version 13");
        }

        if (!IsValidKey(headers.SecWebSocketKey.ToString()))
        {
            return (StatusCodes.Status400BadRequest, "Sec-WebSocket-Key must be the base64 encoding of 16 bytes");
        }

        return null;
    }

    /// <summary>Whether the client offered <paramref name="subprotocol"/> in <c>Sec-WebSocket-Protocol</c>.</summary>
    public static bool Offers(HttpContext context, string subprotocol) =>
        HasToken(context.Request.Headers.SecWebSocketProtocol, subprotocol, StringComparison.Ordinal);

    /// <summary>Sends the 101 response (selecting <paramref name="subprotocol"/>, if any) and returns the raw, upgraded connection stream.</summary>
    public static Task<Stream> AcceptAsync(HttpContext context, string? subprotocol)
    {
        var key = context.Request.Headers.SecWebSocketKey.ToString();
        var response = context.Response;
        response.Headers.Connection = "Upgrade";
        response.Headers.Upgrade = "websocket";
        response.Headers.SecWebSocketAccept = ComputeAccept(key);
        if (subprotocol is not null)
        {
            response.Headers.SecWebSocketProtocol = subprotocol;
        }

        return context.Features.GetRequiredFeature<IHttpUpgradeFeature>().UpgradeAsync();
    }

    /// <summary>
    /// Writes the 101 response for a connection upgraded without the HTTP layer
    /// (<see cref="Connections.DirectUpgradeMiddleware"/>) — the same headers <see cref="AcceptAsync"/>
    /// sends — straight into <paramref name="output"/>, allocating nothing.
    /// </summary>
    public static void WriteSwitchingProtocols(IBufferWriter<byte> output, ReadOnlySpan<byte> key, bool json)
    {
        var span = output.GetSpan(256);
        var written = 0;
        Append(span, ref written, "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Accept: "u8);
        written += ComputeAccept(key, span[written..]);
        if (json)
        {
            Append(span, ref written, "\r\nSec-WebSocket-Protocol: "u8);
            Append(span, ref written, JsonEnvelopes.SubprotocolUtf8);
        }

        Append(span, ref written, "\r\n\r\n"u8);
        output.Advance(written);

        static void Append(Span<byte> span, ref int written, ReadOnlySpan<byte> bytes)
        {
            bytes.CopyTo(span[written..]);
            written += bytes.Length;
        }
    }

    internal static string ComputeAccept(string key)
    {
        Span<byte> accept = stackalloc byte[AcceptLength];
        return Encoding.ASCII.GetString(accept[..ComputeAccept(Encoding.ASCII.GetBytes(key), accept)]);
    }

    private const int AcceptLength = 28;

    /// <summary>Writes the base64 <c>Sec-WebSocket-Accept</c> value for <paramref name="key"/>; returns its length (28).</summary>
    private static int ComputeAccept(ReadOnlySpan<byte> key, Span<byte> destination)
    {
        Span<byte> input = stackalloc byte[key.Length + AcceptGuid.Length];
        key.CopyTo(input);
        Encoding.ASCII.GetBytes(AcceptGuid, input[key.Length..]);
        Span<byte> hash = stackalloc byte[SHA1.HashSizeInBytes];
#pragma warning disable CA5350 // RFC 6455 fixes SHA-1 for Sec-WebSocket-Accept; it is not used for security here.
        SHA1.HashData(input, hash);
#pragma warning restore CA5350
        System.Buffers.Text.Base64.EncodeToUtf8(hash, destination, out _, out var written);
        return written;
    }

    /// <summary>Whether <paramref name="key"/> is the base64 encoding of 16 bytes.</summary>
    internal static bool IsValidKey(ReadOnlySpan<byte> key)
    {
        Span<byte> decoded = stackalloc byte[18];
        return key.Length == 24 && System.Buffers.Text.Base64.DecodeFromUtf8(key, decoded, out _, out var written) == OperationStatus.Done && written == 16;
    }

    private static bool IsValidKey(string key) => key.Length == 24 && Ascii.IsValid(key) && IsValidKey(Encoding.ASCII.GetBytes(key));

    private static bool HasToken(StringValues values, string token, StringComparison comparison = StringComparison.OrdinalIgnoreCase)
    {
        foreach (var value in values)
        {
            foreach (var part in (value ?? string.Empty).Split(',', StringSplitOptions.TrimEntries))
            {
                if (string.Equals(part, token, comparison))
                {
                    return true;
                }
            }
        }

        return false;
    }
}
