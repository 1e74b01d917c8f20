using System.Buffers.Binary;
using System.Globalization;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;

namespace Bridge.Tests.Infrastructure;

/// <summary>Which of the bridge's two ways of taking a <c>/ws</c> upgrade a raw client goes through.</summary>
public enum UpgradePath
{
    /// <summary>The upgrade is the first request on a new connection: the bridge answers it before Kestrel's HTTP layer.</summary>
    Direct,

    /// <summary>The upgrade is the second request on a kept-alive connection: Kestrel's HTTP layer answers it.</summary>
    HttpLayer,
}

/// <summary>How the server ended the TCP connection.</summary>
internal enum TcpEnd
{
    /// <summary>An orderly close (FIN): a read returned 0.</summary>
    Closed,

    /// <summary>A reset (RST).</summary>
    Reset,
}

/// <summary>RFC 6455 opcodes.</summary>
internal static class Opcode
{
    public const int Continuation = 0x0;
    public const int Text = 0x1;
    public const int Binary = 0x2;
    public const int Close = 0x8;
    public const int Ping = 0x9;
    public const int Pong = 0xA;
}

/// <summary>One frame exactly as the server put it on the wire (payload already unmasked if it was masked).</summary>
internal sealed record RawFrame(bool Fin, int Rsv, int Opcode, bool Masked, byte[] Payload)
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    public bool IsControl => (Opcode & 0x8) != 0;

    /// <summary>The status code of a close frame, or null when it has none (or is not a close frame).</summary>
    public int? CloseCode => Opcode == Infrastructure.Opcode.Close && Payload.Length >= 2 ? BinaryPrimitives.ReadUInt16BigEndian(Payload) : null;

    /// <summary>The reason bytes of a close frame (after the code).</summary>
    public byte[] CloseReasonBytes => Opcode == Infrastructure.Opcode.Close && Payload.Length > 2 ? Payload[2..] : [];

    /// <summary>The close reason decoded strictly, or null when it is not valid UTF-8.</summary>
    public string? CloseReason
    {
        get
        {
            try
            {
                return StrictUtf8.GetString(CloseReasonBytes);
            }
            catch (DecoderFallbackException)
            {
                return null;
            }
        }
    }

    public string Text => Encoding.UTF8.GetString(Payload);

    public override string ToString()
    {
        var name = Opcode switch
        {
            Infrastructure.Opcode.Continuation => "continuation",
            Infrastructure.Opcode.Text => "text",
            Infrastructure.Opcode.Binary => "binary",
            Infrastructure.Opcode.Close => "close",
            Infrastructure.Opcode.Ping => "ping",
            Infrastructure.Opcode.Pong => "pong",
            _ => $"opcode 0x{Opcode:X}",
        };
        var detail = Opcode == Infrastructure.Opcode.Close
            ? $"code {CloseCode?.ToString(CultureInfo.InvariantCulture) ?? "none"}, reason \"{CloseReason ?? "<invalid UTF-8>"}\""
            : $"{Payload.Length} bytes: {Convert.ToHexString(Payload.AsSpan(0, Math.Min(Payload.Length, 32)))}{(Payload.Length > 32 ? "…" : string.Empty)}";
        return $"{name} frame (FIN={(Fin ? 1 : 0)}, RSV={Rsv}, mask={(Masked ? 1 : 0)}, {detail})";
    }
}

/// <summary>
/// A minimal RFC 6455 client on a bare TCP socket, for checking the server's framing byte for byte:
/// a hand-written handshake (on either <see cref="UpgradePath"/>), hand-built frames (anything, valid
/// or not), and the server's frames parsed as they are on the wire. Every read has a timeout, and the
/// end of the TCP connection (FIN or reset) is observable.
/// </summary>
internal sealed class RawWebSocketClient : IAsyncDisposable
{
    private const string AcceptGuid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

    private readonly TcpClient _tcp;
    private NetworkStream _stream = null!;
    private byte[] _buffer = new byte[16 * 1024];
    private int _start;
    private int _end;

    private RawWebSocketClient(TcpClient tcp) => _tcp = tcp;

    /// <summary>The server's 101 response head.</summary>
    public string ResponseHead { get; private set; } = string.Empty;

    /// <summary>How the server ended the TCP connection, once it has.</summary>
    public TcpEnd? Ended { get; private set; }

    /// <summary>Server pings that <see cref="ReceiveAsync"/> answered and skipped.</summary>
    public int PingsAnswered { get; private set; }

    /// <summary>
    /// Opens a TCP connection and upgrades it through <paramref name="path"/>; fails unless the
    /// answer is a 101 with the right <c>Sec-WebSocket-Accept</c> from the expected layer (Kestrel's
    /// HTTP layer marks its responses with <c>Server: Kestrel</c>, the direct path does not).
    /// </summary>
    public static async Task<RawWebSocketClient> ConnectAsync(Uri httpUri, UpgradePath path, string pathAndQuery = "/ws")
    {
        var tcp = new TcpClient { NoDelay = true };
        var client = new RawWebSocketClient(tcp);
        try
        {
            await tcp.ConnectAsync(httpUri.Host, httpUri.Port).WaitAsync(TestTimeouts.Signal);
            client._stream = tcp.GetStream();
            if (path == UpgradePath.HttpLayer)
            {
                await client.WriteAsync(Encoding.ASCII.GetBytes($"GET /healthz HTTP/1.1\r\nHost: {httpUri.Authority}\r\n\r\n"));
                var health = await client.ReadHeadAsync();
                Assert.True(health.StartsWith("HTTP/1.1 200 ", StringComparison.Ordinal), $"GET /healthz before the upgrade answered:\n{health}");
                await client.SkipBodyAsync(health);
            }

            var key = Convert.ToBase64String(RandomNumberGenerator.GetBytes(16));
            await client.WriteAsync(Encoding.ASCII.GetBytes(
                $"GET {pathAndQuery} HTTP/1.1\r\nHost: {httpUri.Authority}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n" +
                $"Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: {key}\r\n\r\n"));
            var head = await client.ReadHeadAsync();
            client.ResponseHead = head;
#pragma warning disable CA5350 // RFC 6455 fixes SHA-1 for Sec-WebSocket-Accept; it is not used for security here.
            var accept = Convert.ToBase64String(SHA1.HashData(Encoding.ASCII.GetBytes(key + AcceptGuid)));
#pragma warning restore CA5350
            Assert.True(
                head.StartsWith("HTTP/1.1 101 ", StringComparison.Ordinal) && head.Contains($"\r\nSec-WebSocket-Accept: {accept}\r\n", StringComparison.OrdinalIgnoreCase),
                $"expected a 101 with Sec-WebSocket-Accept: {accept}, got:\n{head}");
            var viaHttpLayer = head.Contains("\r\nServer: Kestrel\r\n", StringComparison.OrdinalIgnoreCase);
            Assert.True(viaHttpLayer == (path == UpgradePath.HttpLayer), $"the upgrade was meant to take the {path} path, but the 101 {(viaHttpLayer ? "came" : "did not come")} from Kestrel's HTTP layer:\n{head}");
            return client;
        }
        catch
        {
            await client.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// Builds a frame. Masked with a fresh random key unless <paramref name="mask"/> is false;
    /// <paramref name="declaredLength"/> puts another length in the header than the payload has
    /// (for a header that announces more than is sent).
    /// </summary>
    public static byte[] Frame(int opcode, ReadOnlySpan<byte> payload, bool fin = true, int rsv = 0, bool mask = true, long? declaredLength = null)
    {
        var length = declaredLength ?? payload.Length;
        var header = new List<byte> { (byte)((fin ? 0x80 : 0) | (rsv << 4) | opcode) };
        var maskBit = mask ? 0x80 : 0;
        if (length <= 125)
        {
            header.Add((byte)(maskBit | (int)length));
        }
        else if (length <= ushort.MaxValue)
        {
            header.Add((byte)(maskBit | 126));
            header.Add((byte)(length >> 8));
            header.Add((byte)length);
        }
        else
        {
            header.Add((byte)(maskBit | 127));
            for (var shift = 56; shift >= 0; shift -= 8)
            {
                header.Add((byte)(length >> shift));
            }
        }

        var body = payload.ToArray();
        if (mask)
        {
            var key = RandomNumberGenerator.GetBytes(4);
            header.AddRange(key);
            for (var i = 0; i < body.Length; i++)
            {
                body[i] ^= key[i % 4];
            }
        }

        return [.. header, .. body];
    }

    /// <summary>A close frame's payload: the code (if any) and the reason bytes.</summary>
    public static byte[] ClosePayload(int? code, ReadOnlySpan<byte> reason = default)
    {
        if (code is null)
        {
            return [];
        }

        var payload = new byte[2 + reason.Length];
        BinaryPrimitives.WriteUInt16BigEndian(payload, (ushort)code.Value);
        reason.CopyTo(payload.AsSpan(2));
        return payload;
    }

    public static byte[] Utf8(string text) => Encoding.UTF8.GetBytes(text);

    /// <summary>Writes <paramref name="bytes"/> in one write.</summary>
    public Task SendAsync(byte[] bytes) => WriteAsync(bytes);

    public Task SendFrameAsync(int opcode, ReadOnlySpan<byte> payload, bool fin = true, int rsv = 0, bool mask = true) =>
        WriteAsync(Frame(opcode, payload, fin, rsv, mask));

    public Task SendTextAsync(string text) => SendFrameAsync(Opcode.Text, Utf8(text));

    public Task SendCloseAsync(int? code, string reason = "") => SendFrameAsync(Opcode.Close, ClosePayload(code, Utf8(reason)));

    /// <summary>Writes <paramref name="bytes"/> a few bytes at a time (1, 2, 3, 1, 2, 3, …), flushing after each.</summary>
    public async Task SendInPiecesAsync(byte[] bytes)
    {
        var position = 0;
        for (var i = 0; position < bytes.Length; i++)
        {
            var size = Math.Min(1 + (i % 3), bytes.Length - position);
            await _stream.WriteAsync(bytes.AsMemory(position, size)).AsTask().WaitAsync(TestTimeouts.Signal);
            await _stream.FlushAsync();
            position += size;
        }
    }

    /// <summary>
    /// The next frame that is not a server ping, within <paramref name="timeout"/> (the signal
    /// timeout by default). Server pings are answered with a pong of the same payload, as a
    /// well-behaved client does, and counted in <see cref="PingsAnswered"/>. Fails if the server
    /// ends the TCP connection first.
    /// </summary>
    /// <param name="expecting">What the test waits for, for the failure message.</param>
    /// <param name="timeout">The signal timeout by default.</param>
    public async Task<RawFrame> ReceiveAsync(string expecting, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TestTimeouts.Signal);
        while (true)
        {
            var frame = await ReceiveIncludingPingsAsync(expecting, Remaining(deadline));
            if (frame.Opcode != Opcode.Ping)
            {
                return frame;
            }

            PingsAnswered++;
            await SendFrameAsync(Opcode.Pong, frame.Payload);
        }
    }

    /// <summary>The next frame, whatever it is, within <paramref name="timeout"/>; fails if the server ends the TCP connection first.</summary>
    /// <param name="expecting">What the test waits for, for the failure message.</param>
    /// <param name="timeout">The signal timeout by default.</param>
    public async Task<RawFrame> ReceiveIncludingPingsAsync(string expecting, TimeSpan? timeout = null) =>
        await ReceiveOrEndAsync(expecting, timeout) ?? throw new InvalidOperationException($"expected {expecting}, but the server ended the TCP connection ({Ended}) instead.");

    /// <summary>The next frame, or null once the server has ended the TCP connection (see <see cref="Ended"/>).</summary>
    /// <param name="expecting">What the test waits for, for the failure message.</param>
    /// <param name="timeout">The signal timeout by default.</param>
    public async Task<RawFrame?> ReceiveOrEndAsync(string expecting, TimeSpan? timeout = null)
    {
        var effective = timeout ?? TestTimeouts.Signal;
        using var cts = new CancellationTokenSource(effective);
        try
        {
            if (!await FillAsync(2, cts.Token))
            {
                return null;
            }

            var first = _buffer[_start];
            var second = _buffer[_start + 1];
            var masked = (second & 0x80) != 0;
            long length = second & 0x7F;
            var headerLength = 2 + (length == 126 ? 2 : length == 127 ? 8 : 0) + (masked ? 4 : 0);
            if (!await FillAsync(headerLength, cts.Token))
            {
                throw new InvalidOperationException($"the server ended the TCP connection ({Ended}) inside a frame header.");
            }

            var position = _start + 2;
            if (length == 126)
            {
                length = BinaryPrimitives.ReadUInt16BigEndian(_buffer.AsSpan(position));
                position += 2;
            }
            else if (length == 127)
            {
                length = BinaryPrimitives.ReadInt64BigEndian(_buffer.AsSpan(position));
                position += 8;
            }

            Assert.True(length is >= 0 and <= 16 * 1024 * 1024, $"the server sent a frame header declaring {length} bytes.");
            var key = masked ? _buffer.AsSpan(position, 4).ToArray() : null;
            if (!await FillAsync(headerLength + (int)length, cts.Token))
            {
                throw new InvalidOperationException($"the server ended the TCP connection ({Ended}) inside a frame of {length} bytes.");
            }

            var payload = _buffer.AsSpan(_start + headerLength, (int)length).ToArray();
            if (key is not null)
            {
                for (var i = 0; i < payload.Length; i++)
                {
                    payload[i] ^= key[i % 4];
                }
            }

            _start += headerLength + (int)length;
            return new RawFrame((first & 0x80) != 0, (first >> 4) & 0x7, first & 0x0F, masked, payload);
        }
        catch (OperationCanceledException) when (cts.IsCancellationRequested)
        {
            throw new TimeoutException($"expected {expecting}, but within {effective} the server sent no complete frame and did not end the TCP connection.");
        }
    }

    /// <summary>
    /// Expects the server to end the TCP connection next, sending nothing more (server pings
    /// excepted when <paramref name="allowPings"/>); returns how it ended.
    /// </summary>
    public async Task<TcpEnd> ExpectTcpEndAsync(bool allowPings = false)
    {
        var deadline = DateTime.UtcNow + TestTimeouts.Signal;
        while (true)
        {
            var frame = await ReceiveOrEndAsync("the end of the TCP connection", Remaining(deadline));
            if (frame is null)
            {
                return Ended!.Value;
            }

            Assert.True(allowPings && frame.Opcode == Opcode.Ping, $"expected the server to end the TCP connection, but it sent a {frame}.");
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_stream is not null)
        {
            await _stream.DisposeAsync();
        }

        _tcp.Dispose();
    }

    private static TimeSpan Remaining(DateTime deadline)
    {
        var remaining = deadline - DateTime.UtcNow;
        return remaining > TimeSpan.Zero ? remaining : TimeSpan.FromMilliseconds(1);
    }

    private Task WriteAsync(byte[] bytes) => _stream.WriteAsync(bytes).AsTask().WaitAsync(TestTimeouts.Signal);

    /// <summary>Reads until at least <paramref name="count"/> unconsumed bytes are buffered; false if the connection ended before any more arrived.</summary>
    private async Task<bool> FillAsync(int count, CancellationToken cancellationToken)
    {
        if (_start == _end)
        {
            _start = _end = 0;
        }

        if (_end - _start >= count)
        {
            return true;
        }

        if (Ended is not null)
        {
            return false;
        }

        if (_buffer.Length - _start < count)
        {
            var bigger = new byte[Math.Max(_buffer.Length, count * 2)];
            _buffer.AsSpan(_start, _end - _start).CopyTo(bigger);
            _end -= _start;
            _start = 0;
            _buffer = bigger;
        }

        while (_end - _start < count)
        {
            int read;
            try
            {
                read = await _stream.ReadAsync(_buffer.AsMemory(_end), cancellationToken);
            }
            catch (IOException ex) when (ex.InnerException is SocketException { SocketErrorCode: SocketError.ConnectionReset })
            {
                Ended = TcpEnd.Reset;
                return false;
            }

            if (read == 0)
            {
                Ended = TcpEnd.Closed;
                return false;
            }

            _end += read;
        }

        return true;
    }

    private async Task<string> ReadHeadAsync()
    {
        using var cts = new CancellationTokenSource(TestTimeouts.Signal);
        while (true)
        {
            var end = _buffer.AsSpan(_start, _end - _start).IndexOf("\r\n\r\n"u8);
            if (end >= 0)
            {
                var head = Encoding.ASCII.GetString(_buffer, _start, end + 4);
                _start += end + 4;
                return head;
            }

            try
            {
                if (!await FillAsync(_end - _start + 1, cts.Token))
                {
                    throw new InvalidOperationException($"the server ended the TCP connection ({Ended}) before a whole response head: {Encoding.ASCII.GetString(_buffer, _start, _end - _start)}");
                }
            }
            catch (OperationCanceledException) when (cts.IsCancellationRequested)
            {
                throw new TimeoutException($"no whole response head within {TestTimeouts.Signal}: {Encoding.ASCII.GetString(_buffer, _start, _end - _start)}");
            }
        }
    }

    private async Task SkipBodyAsync(string head)
    {
        using var cts = new CancellationTokenSource(TestTimeouts.Signal);
        var lengthLine = head.Split("\r\n").SingleOrDefault(l => l.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase));
        if (lengthLine is not null)
        {
            var length = int.Parse(lengthLine["Content-Length:".Length..].Trim(), CultureInfo.InvariantCulture);
            Assert.True(await FillAsync(length, cts.Token), "the server ended the TCP connection inside a response body.");
            _start += length;
            return;
        }

        Assert.Contains("Transfer-Encoding: chunked", head, StringComparison.OrdinalIgnoreCase);
        while (true)
        {
            var end = _buffer.AsSpan(_start, _end - _start).IndexOf("0\r\n\r\n"u8);
            if (end >= 0 && (end == 0 || _buffer[_start + end - 1] == '\n'))
            {
                _start += end + 5;
                return;
            }

            Assert.True(await FillAsync(_end - _start + 1, cts.Token), "the server ended the TCP connection inside a chunked response body.");
        }
    }
}
