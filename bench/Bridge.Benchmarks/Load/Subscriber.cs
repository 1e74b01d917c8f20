using System.Net.Sockets;

namespace Bridge.Benchmarks.Load;

/// <summary>
/// One subscriber WebSocket of the load generator: the socket, the state of its frame parser, and
/// what it has received. Only its receiver touches the parser state; sends take <see cref="_sendLock"/>.
/// </summary>
internal sealed class Subscriber : IDisposable
{
    private readonly Lock _sendLock = new();
    private readonly uint _maskKey;
    private volatile bool _ready;

    public Subscriber(int id, Socket socket, ReadOnlySpan<byte> leftover)
    {
        Id = id;
        Socket = socket;
        Fd = (int)socket.Handle;
        _maskKey = (uint)(id * 2654435761u) | 1;
        if (!leftover.IsEmpty)
        {
            Carry = leftover.ToArray();
            CarryLength = leftover.Length;
        }
    }

    public int Id { get; }

    public Socket Socket { get; }

    public int Fd { get; }

    /// <summary>Bytes of an incomplete frame left over from the last read.</summary>
    public byte[]? Carry { get; set; }

    public int CarryLength { get; set; }

    /// <summary>Size of the incomplete frame in <see cref="Carry"/> when its header is known, else 0.</summary>
    public int PendingFrameSize { get; set; }

    /// <summary>A fragmented message being assembled (rare: the servers send one frame per message).</summary>
    public byte[]? Fragments { get; set; }

    public int FragmentsLength { get; set; }

    public bool InFragmentedMessage { get; set; }

    /// <summary>An incomplete SignalR record carried to the next message (rare).</summary>
    public byte[]? PartialRecord { get; set; }

    public int PartialRecordLength { get; set; }

    /// <summary>Whether it is subscribed (plain WebSockets: once open; JSON: after <c>subscribed</c>; SSE: after the welcome event).</summary>
    public bool Ready
    {
        get => _ready;
        set => _ready = value;
    }

    /// <summary>JSON subprotocol: whether the <c>welcome</c> came.</summary>
    public bool Welcomed { get; set; }

    /// <summary>JSON subprotocol: the topic sequence of the last update received (at first, the one <c>subscribed</c> named).</summary>
    public long Sequence { get; set; } = -1;

    /// <summary>Room to unescape a JSON string into (rare: the benchmark payload needs no escapes).</summary>
    public byte[]? Scratch { get; set; }

    /// <summary>SSE: the state of the chunked event stream.</summary>
    public SseStreamState? Sse { get; init; }

    /// <summary>The index this subscriber must receive next; -1 until its first message.</summary>
    public long Expected { get; set; } = -1;

    public long Received { get; set; }

    /// <summary>Set once the connection has ended (close frame, end of stream or error).</summary>
    public string? EndReason { get; set; }

    /// <summary>Sends one masked frame; safe from any thread.</summary>
    public void Send(byte opcode, ReadOnlySpan<byte> payload)
    {
        Span<byte> small = stackalloc byte[256];
        var length = ClientFrames.FrameLength(payload.Length);
        var frame = length <= small.Length ? small[..length] : new byte[length];
        ClientFrames.Write(frame, opcode, payload, _maskKey);
        SendRaw(frame);
    }

    /// <summary>Sends bytes as they are (already framed); safe from any thread.</summary>
    public void SendRaw(ReadOnlySpan<byte> bytes)
    {
        lock (_sendLock)
        {
            var deadline = Environment.TickCount64 + 10_000;
            while (!bytes.IsEmpty)
            {
                var sent = Socket.Send(bytes, SocketFlags.None, out var error);
                if (error == SocketError.WouldBlock)
                {
                    if (Environment.TickCount64 > deadline)
                    {
                        throw new TimeoutException($"subscriber {Id}: the socket stayed full for 10 s");
                    }

                    Thread.Yield();
                    continue;
                }

                if (error != SocketError.Success)
                {
                    throw new SocketException((int)error);
                }

                bytes = bytes[sent..];
            }
        }
    }

    public uint MaskKey => _maskKey;

    public void Dispose() => Socket.Dispose();
}
