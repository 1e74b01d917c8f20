using System.Buffers;
using System.IO.Pipelines;
using System.Runtime.CompilerServices;
using Bridge.Protocol;

namespace Bridge.Connections;

/// <summary>
/// Sits between a connection's <see cref="System.Net.WebSockets.WebSocket"/> and the transport and
/// turns many frames into one transport write. The connection's sender appends the pre-built data
/// frames of everything queued (<see cref="TryAppendFrame"/>) and then flushes once; whatever the
/// WebSocket writes by itself (pongs, pings, close frames) is appended after them and flushed at
/// once, so frames never interleave and stay in order.
/// </summary>
/// <remarks>
/// The sender and the WebSocket's own writes (from the receive side or its keep-alive timer) can
/// run at the same time, so the gathered bytes are guarded by a lock and transport writes by a
/// single-permit semaphore. Once the WebSocket has written a close frame no data frame may follow
/// (RFC 6455 section 5.5.1), so appends are refused from then on. The gathering buffer is rented
/// only while bytes wait in it, so an idle connection holds none.
/// <para>
/// When the transport is the connection's own pipe (<see cref="PipeTransportStream"/>, a direct
/// upgrade), large frames are written straight into the pipe's pooled blocks, which the socket
/// sends from: one copy per frame instead of two (small ones are cheaper gathered first). A pipe
/// may not be written while a flush of it is pending, so then frames wait in the gathering buffer;
/// they move into the pipe, in order, before the next flush.
/// </para>
/// </remarks>
internal sealed class CoalescingStream(Stream transport) : Stream
{
    private readonly PipeWriter? _pipe = (transport as PipeTransportStream)?.Writer;
    private int _inPipe;
    private bool _flushing;

    /// <summary>Gathered bytes after which the sender writes to the transport before gathering more.</summary>
    public const int FlushThreshold = 64 * 1024;

    /// <summary>Frames at least this long are written straight into a pipe transport.</summary>
    private const int DirectWriteBytes = 1024;

    private readonly Lock _gate = new();

    // Disposing a Kestrel upgrade stream does not end a read or write already pending on it, and
    // WebSocket.Abort (ping timeout, close timeout) relies on disposal to stop the connection. A
    // PipeTransportStream ends its pending operations itself when disposed, so it needs no token
    // (whose registration every idle connection's pending read would otherwise hold).
    private readonly CancellationTokenSource? _disposed = transport is PipeTransportStream ? null : new();
    private int _disposeStarted;
    private readonly SemaphoreSlim _transportWrite = new(1, 1);
    private byte[]? _pending;
    private int _pendingCount;
    private bool _closeWritten;

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    /// <summary>Gathers one complete data frame for the next transport write.</summary>
    /// <param name="frame">The frame's bytes.</param>
    /// <param name="pendingBytes">How many bytes are now gathered.</param>
    /// <returns>False once a close frame was written: nothing may follow it.</returns>
    public bool TryAppendFrame(ReadOnlySpan<byte> frame, out int pendingBytes)
    {
        lock (_gate)
        {
            if (_closeWritten)
            {
                pendingBytes = _pendingCount;
                return false;
            }

            Gather(frame);
            pendingBytes = _pendingCount + _inPipe;
            return true;
        }
    }

    /// <summary>What the WebSocket writes (whole control frames) goes out at once, after anything gathered.</summary>
    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            Gather(buffer.Span);
            _closeWritten |= ServerFrame.IsClose(buffer.Span);
        }

        return FlushPendingAsync(cancellationToken);
    }

    /// <summary>Writes everything gathered to the transport in one write.</summary>
    public ValueTask FlushGatheredAsync() => FlushPendingAsync(CancellationToken.None);

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Write(byte[] buffer, int offset, int count) =>
        WriteAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        transport.ReadAsync(buffer, OrDisposed(cancellationToken));

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override int Read(byte[] buffer, int offset, int count) => transport.Read(buffer, offset, count);

    public override Task FlushAsync(CancellationToken cancellationToken) => FlushPendingAsync(cancellationToken).AsTask();

    public override void Flush() => FlushAsync(CancellationToken.None).GetAwaiter().GetResult();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing && Interlocked.Exchange(ref _disposeStarted, 1) == 0)
        {
            _disposed?.Cancel();
            lock (_gate)
            {
                ReturnPending();
            }

            transport.Dispose();
        }

        base.Dispose(disposing);
    }

    private void Gather(ReadOnlySpan<byte> bytes)
    {
        // Small frames are cheaper to gather in one array and move into the pipe at once; large
        // ones go straight into the pipe, saving a copy of each (after whatever waits, to keep order).
        if (_pipe is null || _flushing || bytes.Length < DirectWriteBytes)
        {
            Append(bytes);
            return;
        }

        ThrowIfDisposedPipe();
        MovePendingInto(_pipe);
        _pipe.Write(bytes);
        _inPipe += bytes.Length;
    }

    /// <summary>Under <see cref="_gate"/>: moves what waits in the gathering buffer into the pipe, ahead of anything written after it.</summary>
    private void MovePendingInto(PipeWriter pipe)
    {
        if (_pending is not null)
        {
            pipe.Write(_pending.AsSpan(0, _pendingCount));
            _inPipe += _pendingCount;
            ReturnPending();
        }
    }

    private void Append(ReadOnlySpan<byte> bytes)
    {
        var needed = _pendingCount + bytes.Length;
        if (_pending is null || _pending.Length < needed)
        {
            var bigger = ArrayPool<byte>.Shared.Rent(Math.Max(needed, 4096));
            if (_pending is not null)
            {
                _pending.AsSpan(0, _pendingCount).CopyTo(bigger);
                ArrayPool<byte>.Shared.Return(_pending);
            }

            _pending = bigger;
        }

        bytes.CopyTo(_pending.AsSpan(_pendingCount));
        _pendingCount = needed;
    }

    // Pooled: a flush that waits on the transport (a slow peer) then allocates nothing per batch.
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask FlushPendingAsync(CancellationToken cancellationToken)
    {
        cancellationToken = OrDisposed(cancellationToken);
        await _transportWrite.WaitAsync(cancellationToken);
        try
        {
            if (_pipe is not null)
            {
                await FlushPipeAsync(_pipe, cancellationToken);
                return;
            }

            byte[]? taken;
            int count;
            lock (_gate)
            {
                taken = _pending;
                count = _pendingCount;
                _pending = null;
                _pendingCount = 0;
            }

            if (taken is null)
            {
                return;
            }

            try
            {
                await transport.WriteAsync(taken.AsMemory(0, count), cancellationToken);
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(taken);
            }
        }
        finally
        {
            _transportWrite.Release();
        }
    }

    /// <summary>Under the write permit: moves what waited into the pipe and flushes it.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask FlushPipeAsync(PipeWriter pipe, CancellationToken cancellationToken)
    {
        ValueTask<FlushResult> flushing;
        lock (_gate)
        {
            ThrowIfDisposedPipe();
            MovePendingInto(pipe);
            if (_inPipe == 0)
            {
                return;
            }

            _inPipe = 0;
            _flushing = true;
            flushing = pipe.FlushAsync(cancellationToken);
        }

        FlushResult result;
        try
        {
            result = await flushing;
        }
        finally
        {
            lock (_gate)
            {
                _flushing = false;
            }
        }

        if (result.IsCanceled)
        {
            throw new OperationCanceledException("The write was canceled.");
        }

        if (result.IsCompleted)
        {
            throw new IOException("The connection was closed.");
        }
    }

    /// <summary>
    /// Called under <see cref="_gate"/> before the pipe is written or flushed. Disposal sets the flag
    /// before it takes the gate and then cancels the pending flush (<see cref="PipeTransportStream"/>),
    /// so a flush issued earlier is cancelled and none can be issued later: an aborted connection
    /// never waits on a full pipe, and nothing writes to the pipe once its owner has moved on.
    /// </summary>
    private void ThrowIfDisposedPipe() => ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposeStarted) != 0, this);

    /// <summary>The caller's token, or when it cannot cancel (the usual case), the disposal token.</summary>
    private CancellationToken OrDisposed(CancellationToken cancellationToken) =>
        cancellationToken.CanBeCanceled ? cancellationToken : _disposed?.Token ?? CancellationToken.None;

    private void ReturnPending()
    {
        if (_pending is not null)
        {
            ArrayPool<byte>.Shared.Return(_pending);
            _pending = null;
            _pendingCount = 0;
        }
    }
}
