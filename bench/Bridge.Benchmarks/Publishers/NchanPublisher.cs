using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Bridge.Benchmarks.Load;

namespace Bridge.Benchmarks.Publishers;

/// <summary>
/// nchan's publisher: HTTP <c>POST /pub/bench</c> with the payload as body, pipelined on one
/// keep-alive connection; a reader counts the answers (each must be 2xx). When nginx ends the
/// connection (its keepalive_requests limit), the requests it has not answered are sent again, in
/// order, on a new connection: nginx handles pipelined requests one after another, so an
/// unanswered request was never published.
/// </summary>
internal sealed class NchanPublisher : IPublisher
{
    private readonly IPEndPoint _server;
    private readonly int _payloadSize;
    private readonly byte[] _head;
    private readonly SemaphoreSlim _sendLock = new(1, 1);
    private readonly Queue<(long Index, long Timestamp)> _unanswered = new();
    private readonly PublisherErrors _errors = new();
    private readonly CancellationTokenSource _stop = new();
    private Socket _socket;
    private Task _reader;
    private long _sent;
    private long _answered;

    private NchanPublisher(IPEndPoint server, int payloadSize, Socket socket)
    {
        _server = server;
        _payloadSize = payloadSize;
        _head = Encoding.ASCII.GetBytes(
            $"POST /pub/bench HTTP/1.1\r\nHost: {server}\r\nAccept: text/plain\r\nContent-Type: text/plain\r\nContent-Length: {payloadSize.ToString(CultureInfo.InvariantCulture)}\r\n\r\n");
        _socket = socket;
        _reader = Task.Run(() => ReadAsync(socket));
    }

    public IReadOnlyCollection<string> Errors => _errors.Items;

    public static async Task<NchanPublisher> ConnectAsync(int port, int payloadSize, CancellationToken cancellationToken)
    {
        var server = new IPEndPoint(IPAddress.Loopback, port);
        return new NchanPublisher(server, payloadSize, await OpenAsync(server, cancellationToken));
    }

    public async ValueTask PublishAsync(long index, CancellationToken cancellationToken)
    {
        var request = new byte[_head.Length + _payloadSize];
        var timestamp = Stopwatch.GetTimestamp();
        await _sendLock.WaitAsync(cancellationToken);
        try
        {
            lock (_unanswered)
            {
                _unanswered.Enqueue((index, timestamp));
            }

            WriteRequest(request, index, timestamp);
            Interlocked.Increment(ref _sent);
            await SendAsync(_socket, request, cancellationToken);
        }
        finally
        {
            _sendLock.Release();
        }
    }

    public async Task<bool> DrainAsync(TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (Volatile.Read(ref _answered) < Volatile.Read(ref _sent))
        {
            if (DateTime.UtcNow > deadline || _errors.Count > 0)
            {
                return false;
            }

            await Task.Delay(5);
        }

        return true;
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _socket.Dispose();
        await _reader.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        _stop.Dispose();
        _sendLock.Dispose();
    }

    private static async Task<Socket> OpenAsync(IPEndPoint server, CancellationToken cancellationToken)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(server, cancellationToken);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    private static async Task SendAsync(Socket socket, ReadOnlyMemory<byte> bytes, CancellationToken cancellationToken)
    {
        while (!bytes.IsEmpty)
        {
            var sent = await socket.SendAsync(bytes, SocketFlags.None, cancellationToken);
            bytes = bytes[sent..];
        }
    }

    private void WriteRequest(byte[] request, long index, long timestamp)
    {
        _head.CopyTo(request, 0);
        Payload.Write(request.AsSpan(_head.Length, _payloadSize), index, timestamp);
    }

    /// <summary>Reads answers on <paramref name="socket"/> until it ends; then reconnects and resends.</summary>
    private async Task ReadAsync(Socket socket)
    {
        var buffer = new byte[64 * 1024];
        var length = 0;
        var closing = false;
        try
        {
            while (true)
            {
                var received = await socket.ReceiveAsync(buffer.AsMemory(length), SocketFlags.None, _stop.Token);
                if (received == 0)
                {
                    break;
                }

                length += received;
                var consumed = 0;
                while (TryParseAnswer(buffer.AsSpan(consumed, length - consumed), out var size, out var status, out var close))
                {
                    consumed += size;
                    closing |= close;
                    lock (_unanswered)
                    {
                        _unanswered.TryDequeue(out _);
                    }

                    Interlocked.Increment(ref _answered);
                    if (status is < 200 or > 299)
                    {
                        _errors.Add($"POST /pub/bench answered {status}");
                    }
                }

                buffer.AsSpan(consumed, length - consumed).CopyTo(buffer);
                length -= consumed;
                if (length == buffer.Length)
                {
                    Array.Resize(ref buffer, buffer.Length * 2);
                }
            }
        }
        catch (Exception ex) when (ex is SocketException or OperationCanceledException or ObjectDisposedException)
        {
            if (_stop.IsCancellationRequested)
            {
                return;
            }

            closing = true;
        }

        if (!_stop.IsCancellationRequested)
        {
            await ReconnectAsync(socket, closing);
        }
    }

    private async Task ReconnectAsync(Socket old, bool announced)
    {
        await _sendLock.WaitAsync();
        try
        {
            old.Dispose();
            var socket = await OpenAsync(_server, _stop.Token);
            (long Index, long Timestamp)[] resend;
            lock (_unanswered)
            {
                resend = [.. _unanswered];
            }

            foreach (var (index, timestamp) in resend)
            {
                var request = new byte[_head.Length + _payloadSize];
                WriteRequest(request, index, timestamp);
                await SendAsync(socket, request, _stop.Token);
            }

            _socket = socket;
            _reader = Task.Run(() => ReadAsync(socket));
        }
        catch (Exception ex) when (ex is SocketException or OperationCanceledException or ObjectDisposedException)
        {
            if (!_stop.IsCancellationRequested)
            {
                _errors.Add($"lost the publishing connection ({(announced ? "closed by nginx" : "failed")}) and could not reconnect: {ex.Message}");
            }
        }
        finally
        {
            _sendLock.Release();
        }
    }

    /// <summary>Parses one complete HTTP answer (Content-Length or chunked body) at the start of <paramref name="data"/>.</summary>
    private static bool TryParseAnswer(ReadOnlySpan<byte> data, out int size, out int status, out bool close)
    {
        size = 0;
        status = 0;
        close = false;
        var end = data.IndexOf("\r\n\r\n"u8);
        if (end < 0)
        {
            return false;
        }

        var head = Encoding.ASCII.GetString(data[..end]);
        var lines = head.Split("\r\n");
        var parts = lines[0].Split(' ');
        status = parts.Length > 1 && int.TryParse(parts[1], CultureInfo.InvariantCulture, out var s) ? s : 0;
        var contentLength = 0;
        var chunked = false;
        foreach (var line in lines.Skip(1))
        {
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon < 0)
            {
                continue;
            }

            var name = line[..colon].Trim();
            var value = line[(colon + 1)..].Trim();
            if (name.Equals("Content-Length", StringComparison.OrdinalIgnoreCase))
            {
                contentLength = int.Parse(value, CultureInfo.InvariantCulture);
            }
            else if (name.Equals("Transfer-Encoding", StringComparison.OrdinalIgnoreCase) && value.Contains("chunked", StringComparison.OrdinalIgnoreCase))
            {
                chunked = true;
            }
            else if (name.Equals("Connection", StringComparison.OrdinalIgnoreCase) && value.Equals("close", StringComparison.OrdinalIgnoreCase))
            {
                close = true;
            }
        }

        var position = end + 4;
        if (!chunked)
        {
            size = position + contentLength;
            return data.Length >= size;
        }

        while (true)
        {
            var lineEnd = data[position..].IndexOf("\r\n"u8);
            if (lineEnd < 0)
            {
                return false;
            }

            var chunk = int.Parse(Encoding.ASCII.GetString(data.Slice(position, lineEnd)).Split(';')[0], NumberStyles.HexNumber, CultureInfo.InvariantCulture);
            position += lineEnd + 2 + chunk + 2;
            if (data.Length < position)
            {
                return false;
            }

            if (chunk == 0)
            {
                size = position;
                return true;
            }
        }
    }
}
