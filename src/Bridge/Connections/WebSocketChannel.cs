using System.Buffers;
using System.IO.Pipelines;
using System.Net.WebSockets;
using System.Runtime.CompilerServices;
using Bridge.Protocol;

namespace Bridge.Connections;

/// <summary>
/// A WebSocket connection's transport after the handshake: the pipes it is read from
/// (<see cref="ClientFrameReader"/>, the only reader) and written to (the connection's sender loop,
/// the only writer: data frames, pings, pongs and the close all go through its queue, so frames
/// never interleave), with the state of the close handshake and of keep-alive.
/// </summary>
/// <remarks>
/// The bridge frames RFC 6455 itself rather than through <see cref="System.Net.WebSockets.WebSocket"/>:
/// data frames are built once per publication and copied straight into the connection's output
/// pipe, and an idle connection holds no framing object, receive state machine or timer of its own
/// (keep-alive is one sweep over all connections, <see cref="WebSocketKeepAlive"/>). See docs/performance.md.
/// </remarks>
/// <param name="input">What the client sends.</param>
/// <param name="output">What the connection sends.</param>
/// <param name="connectedAt">When the handshake completed (a timestamp of the connection's TimeProvider).</param>
/// <param name="abortTransport">
/// How to abort when the pipes are wrappers over a stream (the HTTP path), whose pending-flush
/// cancellation can race with the flush itself; null for a transport's own pipes, which are
/// aborted by cancelling their pending read and flush.
/// </param>
internal sealed class WebSocketChannel(PipeReader input, PipeWriter output, long connectedAt, Action? abortTransport = null)
{
    private const int CloseSent = 1;
    private const int CloseReceived = 2;
    private const int Aborted = 4;
    private const long NoPingPending = long.MinValue;

    private int _state;
    private int _unflushed;

    // The sender's place in the pipe's current block: bytes copied there but not yet advanced.
    private Memory<byte> _current;
    private int _pending;

    // Keep-alive, read and written by the sweep and the reader (timestamps of the connection's TimeProvider).
    private long _lastPingAt = connectedAt;
    private long _awaitingPongSince = NoPingPending;

    public PipeReader Input => input;

    public PipeWriter Output => output;

    /// <summary>Bytes written since the last flush.</summary>
    public int Unflushed => _unflushed;

    /// <summary>Where the close handshake stands: <see cref="WebSocketState.Closed"/> once both close frames have passed.</summary>
    public WebSocketState State => Volatile.Read(ref _state) switch
    {
        var s when (s & Aborted) != 0 => WebSocketState.Aborted,
        CloseSent | CloseReceived => WebSocketState.Closed,
        CloseSent => WebSocketState.CloseSent,
        CloseReceived => WebSocketState.CloseReceived,
        _ => WebSocketState.Open,
    };

    private bool IsCloseSent => (Volatile.Read(ref _state) & CloseSent) != 0;

    /// <summary>Sender only: appends one whole frame for the next flush.</summary>
    public void Write(ReadOnlySpan<byte> frame)
    {
        // Frames are copied into the pipe's current block and the pipe is advanced once per run of
        // frames (Commit), not per frame: a batch of small frames costs one copy each and little else.
        if (frame.Length > _current.Length - _pending)
        {
            Commit();

            // In one piece: a frame over 4 KiB makes the pipe rent a large block, which the frames
            // after it fill too, so a socket write of large frames is a few buffers, not one per 4 KiB.
            _current = output.GetMemory(frame.Length);
        }

        frame.CopyTo(_current.Span[_pending..]);
        _pending += frame.Length;
        _unflushed += frame.Length;
    }

    /// <summary>Hands what was copied into the current block to the pipe.</summary>
    private void Commit()
    {
        if (_pending > 0)
        {
            output.Advance(_pending);
            _pending = 0;
        }

        _current = default;
    }

    /// <summary>Sender only: sends what was written.</summary>
    /// <exception cref="IOException">The connection was aborted or its transport is gone.</exception>
    public ValueTask FlushAsync()
    {
        if (_unflushed == 0)
        {
            return ValueTask.CompletedTask;
        }

        Commit();
        _unflushed = 0;
        var flushing = output.FlushAsync();
        if (flushing.IsCompletedSuccessfully)
        {
            ThrowIfEnded(flushing.Result);
            return ValueTask.CompletedTask;
        }

        return AwaitFlushAsync(flushing);
    }

    /// <summary>Sender only: the last frame on the connection (RFC 6455 section 5.5.1: nothing may follow it).</summary>
    public ValueTask SendCloseAsync(WebSocketCloseStatus status, string reason)
    {
        if (IsCloseSent)
        {
            return ValueTask.CompletedTask;
        }

        Commit();
        var span = output.GetSpan(ServerFrame.MaxCloseFrameBytes);
        var length = ServerFrame.WriteClose(span, (ushort)status, reason);
        output.Advance(length);
        _unflushed += length;
        Interlocked.Or(ref _state, CloseSent);
        return FlushAsync();
    }

    /// <summary>Reader: the peer's close frame arrived; nothing more is read.</summary>
    public void OnCloseReceived() => Interlocked.Or(ref _state, CloseReceived);

    /// <summary>Reader: a pong arrived, so the peer is alive.</summary>
    public void OnPong() => Volatile.Write(ref _awaitingPongSince, NoPingPending);

    /// <summary>
    /// The keep-alive sweep: whether to send a ping now (none awaits its pong and the last one is
    /// <paramref name="interval"/> old) or to give up on the peer (a ping unanswered for <paramref name="timeout"/>).
    /// </summary>
    public KeepAliveAction CheckKeepAlive(TimeProvider time, long now, TimeSpan interval, TimeSpan timeout)
    {
        var awaiting = Volatile.Read(ref _awaitingPongSince);
        if (awaiting != NoPingPending)
        {
            return time.GetElapsedTime(awaiting, now) >= timeout ? KeepAliveAction.Abort : KeepAliveAction.None;
        }

        if (time.GetElapsedTime(_lastPingAt, now) < interval)
        {
            return KeepAliveAction.None;
        }

        _lastPingAt = now;
        Volatile.Write(ref _awaitingPongSince, now);
        return KeepAliveAction.Ping;
    }

    /// <summary>Ends a pending or next read and flush at once; the owner then aborts the transport.</summary>
    public void Abort()
    {
        Interlocked.Or(ref _state, Aborted);
        if (abortTransport is not null)
        {
            abortTransport();
            return;
        }

        // The flush first: cancelling the read can run the reader's continuation inline, and with it
        // the connection's teardown; nothing should touch the transport after that.
        output.CancelPendingFlush();
        input.CancelPendingRead();
    }

    // Pooled: a flush that waits on a slow peer must not allocate a state machine each time.
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private static async ValueTask AwaitFlushAsync(ValueTask<FlushResult> flushing) => ThrowIfEnded(await flushing);

    private static void ThrowIfEnded(FlushResult result)
    {
        if (result.IsCanceled)
        {
            throw new IOException("The connection was aborted.");
        }

        if (result.IsCompleted)
        {
            throw new IOException("The connection was closed.");
        }
    }
}

/// <summary>What the keep-alive sweep does with a connection.</summary>
internal enum KeepAliveAction
{
    None,
    Ping,
    Abort,
}
