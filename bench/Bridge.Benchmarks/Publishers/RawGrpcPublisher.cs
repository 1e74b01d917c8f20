using System.Buffers.Binary;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Bridge.Benchmarks.Load;
using Bridge.V1;
using Google.Protobuf;

namespace Bridge.Benchmarks.Publishers;

/// <summary>
/// A backend on the bridge for (d) that is cheap enough not to be the limit: one <c>Publish</c>
/// call spoken as cleartext HTTP/2 on a raw socket — client preface, one HEADERS frame, then
/// length-prefixed gRPC messages packed into DATA frames, many per socket write — instead of the
/// .NET gRPC client, which saturates its core at well under 100k messages/s here. The bridge sees
/// an ordinary gRPC call. Acks are read from the response's DATA frames and checked like
/// <see cref="BridgePublisher"/>'s.
/// </summary>
/// <remarks>
/// The bridge's receive windows are honoured (its SETTINGS and WINDOW_UPDATEs); this client
/// opens its own windows to the maximum at the start, so it never has to send a WINDOW_UPDATE.
/// Header blocks from the bridge are not decoded: a response HEADERS frame that ends the stream
/// counts as the call ending. Not thread-safe: one publishing loop calls <see cref="Append"/> and
/// <see cref="FlushAsync"/>.
/// </remarks>
internal sealed class RawGrpcPublisher : IAsyncDisposable
{
    private const int StreamId = 1;
    private const int MaxFrameBytes = 16 * 1024;
    private const byte Data = 0, Headers = 1, RstStream = 3, Settings = 4, Ping = 6, GoAway = 7, WindowUpdate = 8;
    private const byte EndStream = 0x1, Ack = 0x1, EndHeaders = 0x4;

    private readonly Socket _socket;
    private readonly string _topic;
    private readonly int _payloadSize;
    private readonly AckChecker _acks = new();
    private readonly SemaphoreSlim _windowOpened = new(0);
    private readonly SemaphoreSlim _socketWrite = new(1, 1);
    private readonly Lock _sendGate = new();
    private readonly MemoryStream _messages = new();
    private readonly Task _reader;
    private long _connectionWindow = 65_535;
    private long _streamWindow = 65_535;
    private long _sent;
    private volatile bool _ended;

    private RawGrpcPublisher(Socket socket, string topic, int payloadSize)
    {
        _socket = socket;
        _topic = topic;
        _payloadSize = payloadSize;
        _reader = Task.Run(ReadAsync);
    }

    /// <summary>Recipients every ack must report; -1 to not check.</summary>
    public int ExpectedRecipients
    {
        get => _acks.ExpectedRecipients;
        set => _acks.ExpectedRecipients = value;
    }

    public long Sent => Volatile.Read(ref _sent);

    public long Acked => _acks.Acked;

    public IReadOnlyCollection<string> Errors => _acks.Errors.Items;

    public static async Task<RawGrpcPublisher> ConnectAsync(int grpcPort, string topic, int payloadSize, CancellationToken cancellationToken)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, grpcPort), cancellationToken);
        var opening = new MemoryStream();
        opening.Write("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"u8);
        // SETTINGS: INITIAL_WINDOW_SIZE (0x4) = 2^31-1; then the connection window to the maximum.
        WriteFrameHeader(opening, 6, Settings, 0, 0);
        Span<byte> setting = stackalloc byte[6];
        BinaryPrimitives.WriteUInt16BigEndian(setting, 0x4);
        BinaryPrimitives.WriteUInt32BigEndian(setting[2..], int.MaxValue);
        opening.Write(setting);
        WriteWindowUpdate(opening, 0, int.MaxValue - 65_535);
        var headers = HeaderBlock(grpcPort);
        WriteFrameHeader(opening, headers.Length, Headers, EndHeaders, StreamId);
        opening.Write(headers);
        await socket.SendAsync(opening.ToArray(), cancellationToken);
        return new RawGrpcPublisher(socket, topic, payloadSize);
    }

    /// <summary>Adds update <paramref name="index"/> to what the next <see cref="FlushAsync"/> sends.</summary>
    public void Append(long index)
    {
        var text = Payload.CreateString(_payloadSize, index, Stopwatch.GetTimestamp());
        var request = new PublishRequest { Update = new Update { Topic = _topic, Text = text } };
        var size = request.CalculateSize();
        Span<byte> prefix = stackalloc byte[5];
        prefix[0] = 0;
        BinaryPrimitives.WriteUInt32BigEndian(prefix[1..], (uint)size);
        _messages.Write(prefix);
        request.WriteTo(_messages);
        Interlocked.Increment(ref _sent);
    }

    /// <summary>Sends everything appended, in DATA frames within the bridge's flow-control windows, in as few writes as they allow.</summary>
    public async ValueTask FlushAsync(CancellationToken cancellationToken)
    {
        var pending = _messages.GetBuffer().AsMemory(0, (int)_messages.Length);
        while (!pending.IsEmpty)
        {
            var batch = new MemoryStream();
            lock (_sendGate)
            {
                while (!pending.IsEmpty)
                {
                    var allowed = (int)Math.Min(Math.Min(_connectionWindow, _streamWindow), Math.Min(MaxFrameBytes, pending.Length));
                    if (allowed <= 0)
                    {
                        break;
                    }

                    WriteFrameHeader(batch, allowed, Data, 0, StreamId);
                    batch.Write(pending.Span[..allowed]);
                    pending = pending[allowed..];
                    _connectionWindow -= allowed;
                    _streamWindow -= allowed;
                }
            }

            if (batch.Length > 0)
            {
                await SendAsync(batch.GetBuffer().AsMemory(0, (int)batch.Length), cancellationToken);
            }

            if (!pending.IsEmpty)
            {
                if (_ended)
                {
                    throw new IOException("the Publish stream ended");
                }

                await _windowOpened.WaitAsync(TimeSpan.FromMilliseconds(100), cancellationToken);
            }
        }

        _messages.SetLength(0);
    }

    public Task<bool> WaitForAcksAsync(long count, TimeSpan timeout, CancellationToken cancellationToken) =>
        _acks.WaitForAcksAsync(count, timeout, () => _ended, cancellationToken);

    public Task<bool> DrainAsync(TimeSpan timeout) => WaitForAcksAsync(Sent, timeout, CancellationToken.None);

    public async ValueTask DisposeAsync()
    {
        try
        {
            // End the request stream (an empty DATA frame with END_STREAM), then let the call finish.
            var end = new MemoryStream();
            WriteFrameHeader(end, 0, Data, EndStream, StreamId);
            await SendAsync(end.ToArray(), CancellationToken.None);
            await _reader.WaitAsync(TimeSpan.FromSeconds(5));
        }
        catch (Exception ex) when (ex is SocketException or TimeoutException or IOException or ObjectDisposedException)
        {
            // The bridge is being torn down with the scenario; what mattered was checked before.
        }

        _socket.Dispose();
        _acks.Dispose();
        _windowOpened.Dispose();
        _socketWrite.Dispose();
    }

    /// <summary>One write at a time: the reader answers SETTINGS and PINGs while the publisher sends.</summary>
    private async ValueTask SendAsync(ReadOnlyMemory<byte> bytes, CancellationToken cancellationToken)
    {
        await _socketWrite.WaitAsync(cancellationToken);
        try
        {
            while (!bytes.IsEmpty)
            {
                var sent = await _socket.SendAsync(bytes, cancellationToken);
                bytes = bytes[sent..];
            }
        }
        finally
        {
            _socketWrite.Release();
        }
    }

    private async Task ReadAsync()
    {
        var buffer = new byte[256 * 1024];
        var count = 0;
        var messages = new MemoryStream();
        try
        {
            while (true)
            {
                var read = await _socket.ReceiveAsync(buffer.AsMemory(count));
                if (read == 0)
                {
                    break;
                }

                count += read;
                var offset = 0;
                while (count - offset >= 9)
                {
                    var length = (buffer[offset] << 16) | (buffer[offset + 1] << 8) | buffer[offset + 2];
                    if (count - offset < 9 + length)
                    {
                        break;
                    }

                    var type = buffer[offset + 3];
                    var flags = buffer[offset + 4];
                    var stream = (int)(BinaryPrimitives.ReadUInt32BigEndian(buffer.AsSpan(offset + 5)) & 0x7FFFFFFF);
                    var payload = buffer.AsSpan(offset + 9, length);
                    if (!await OnFrameAsync(type, flags, stream, payload.ToArray(), messages))
                    {
                        return;
                    }

                    offset += 9 + length;
                }

                buffer.AsSpan(offset, count - offset).CopyTo(buffer);
                count -= offset;
            }

            _acks.Errors.Add("the bridge closed the connection");
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException or IOException)
        {
            // Disposed, or the bridge went away.
        }
        finally
        {
            _ended = true;
            _acks.Wake();
            _windowOpened.Release();
        }
    }

    /// <returns>False once the call has ended.</returns>
    private async ValueTask<bool> OnFrameAsync(byte type, byte flags, int stream, byte[] payload, MemoryStream messages)
    {
        switch (type)
        {
            case Data when stream == StreamId:
                messages.Write(payload);
                ReadMessages(messages);
                return (flags & EndStream) == 0;
            case Headers when (flags & EndStream) != 0:
                if (Acked < Sent)
                {
                    _acks.Errors.Add($"the Publish call ended with {Sent - Acked} update(s) unacknowledged");
                }

                return false;
            case Settings when (flags & Ack) == 0:
                for (var i = 0; i + 6 <= payload.Length; i += 6)
                {
                    if (BinaryPrimitives.ReadUInt16BigEndian(payload.AsSpan(i)) == 0x4)
                    {
                        lock (_sendGate)
                        {
                            // A new initial window applies to the open stream as a difference (RFC 9113 6.9.2).
                            _streamWindow += BinaryPrimitives.ReadUInt32BigEndian(payload.AsSpan(i + 2)) - 65_535L;
                        }
                    }
                }

                var settingsAck = new MemoryStream();
                WriteFrameHeader(settingsAck, 0, Settings, Ack, 0);
                await SendAsync(settingsAck.ToArray(), CancellationToken.None);
                _windowOpened.Release();
                return true;
            case Ping when (flags & Ack) == 0:
                var pong = new MemoryStream();
                WriteFrameHeader(pong, 8, Ping, Ack, 0);
                pong.Write(payload);
                await SendAsync(pong.ToArray(), CancellationToken.None);
                return true;
            case WindowUpdate:
                var increment = BinaryPrimitives.ReadUInt32BigEndian(payload) & 0x7FFFFFFF;
                lock (_sendGate)
                {
                    if (stream == 0)
                    {
                        _connectionWindow += increment;
                    }
                    else if (stream == StreamId)
                    {
                        _streamWindow += increment;
                    }
                }

                _windowOpened.Release();
                return true;
            case RstStream or GoAway:
                _acks.Errors.Add($"the bridge ended the call ({(type == RstStream ? "RST_STREAM" : "GOAWAY")})");
                return false;
            default:
                return true;
        }
    }

    private void ReadMessages(MemoryStream messages)
    {
        var bytes = messages.GetBuffer().AsSpan(0, (int)messages.Length);
        var consumed = 0;
        while (bytes.Length - consumed >= 5)
        {
            var length = (int)BinaryPrimitives.ReadUInt32BigEndian(bytes[(consumed + 1)..]);
            if (bytes.Length - consumed - 5 < length)
            {
                break;
            }

            var response = PublishResponse.Parser.ParseFrom(bytes.Slice(consumed + 5, length));
            if (response.KindCase == PublishResponse.KindOneofCase.Ack)
            {
                _acks.OnAck(response.Ack);
            }

            consumed += 5 + length;
        }

        var rest = bytes[consumed..].ToArray();
        messages.SetLength(0);
        messages.Write(rest);
    }

    private static byte[] HeaderBlock(int grpcPort)
    {
        // HPACK literals without indexing and without Huffman coding: simple, and valid for any decoder.
        var block = new MemoryStream();
        foreach (var (name, value) in new[]
        {
            (":method", "POST"), (":scheme", "http"), (":path", "/bridge.v1.Bridge/Publish"),
            (":authority", $"127.0.0.1:{grpcPort}"), ("content-type", "application/grpc"), ("te", "trailers"),
        })
        {
            block.WriteByte(0);
            WriteString(block, name);
            WriteString(block, value);
        }

        return block.ToArray();

        static void WriteString(MemoryStream block, string text)
        {
            // Every string here is shorter than 127 bytes: its length fits the 7-bit prefix.
            block.WriteByte((byte)text.Length);
            block.Write(Encoding.ASCII.GetBytes(text));
        }
    }

    private static void WriteFrameHeader(MemoryStream destination, int length, byte type, byte flags, int stream)
    {
        Span<byte> header = stackalloc byte[9];
        header[0] = (byte)(length >> 16);
        header[1] = (byte)(length >> 8);
        header[2] = (byte)length;
        header[3] = type;
        header[4] = flags;
        BinaryPrimitives.WriteUInt32BigEndian(header[5..], (uint)stream);
        destination.Write(header);
    }

    private static void WriteWindowUpdate(MemoryStream destination, int stream, int increment)
    {
        WriteFrameHeader(destination, 4, WindowUpdate, 0, stream);
        Span<byte> value = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(value, (uint)increment);
        destination.Write(value);
    }
}
