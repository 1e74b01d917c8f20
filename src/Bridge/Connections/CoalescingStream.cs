using System.Buffers;
using System.Runtime.CompilerServices;

namespace Bridge.Connections;

/// <summary>
/// Sits between a connection's <see cref="System.Net.WebSockets.WebSocket"/> and the transport and
/// turns many small frame writes into one transport write. While the connection's sender drains
/// its queue it opens a batch; the frames it sends are gathered and written once when the batch
/// ends (or when the gathered bytes pass a threshold). Writes outside a batch (pongs, pings, close
/// frames the WebSocket sends by itself) go out at once.
/// </summary>
/// <remarks>
/// The WebSocket serializes its own writes, but a batch can end on the sender while the receive
/// side writes a pong, so the gathered bytes are guarded by a lock and transport writes by a
/// single-permit semaphore. The gathering buffer is rented only while bytes wait in it, so an idle
/// connection holds none.
/// </remarks>
internal sealed class CoalescingStream(Stream transport) : Stream
{
    /// <summary>Gathered bytes that trigger a transport write even inside a batch.</summary>
    public const int FlushThreshold = 64 * 1024;

    private readonly Lock _gate = new();

    // Disposing a Kestrel upgrade stream does not end a read or write already pending on it, and
    // WebSocket.Abort (ping timeout, close timeout) relies on disposal to stop the connection.
    private readonly CancellationTokenSource _disposed = new();
    private int _disposeStarted;
    private readonly SemaphoreSlim _transportWrite = new(1, 1);
    private byte[]? _pending;
    private int _pendingCount;
    private bool _batching;

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    /// <summary>Starts gathering writes until <see cref="EndBatchAsync"/>.</summary>
    public void BeginBatch()
    {
        lock (_gate)
        {
            _batching = true;
        }
    }

    /// <summary>Stops gathering and writes what was gathered to the transport in one write.</summary>
    public ValueTask EndBatchAsync()
    {
        lock (_gate)
        {
            _batching = false;
            if (_pendingCount == 0)
            {
                return ValueTask.CompletedTask;
            }
        }

        return FlushPendingAsync(CancellationToken.None);
    }

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            Append(buffer.Span);
            if (_batching && _pendingCount < FlushThreshold)
            {
                return ValueTask.CompletedTask;
            }
        }

        return FlushPendingAsync(cancellationToken);
    }

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
            _disposed.Cancel();
            lock (_gate)
            {
                ReturnPending();
            }

            transport.Dispose();
        }

        base.Dispose(disposing);
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

    /// <summary>The caller's token, or when it cannot cancel (the usual case), the disposal token.</summary>
    private CancellationToken OrDisposed(CancellationToken cancellationToken) =>
        cancellationToken.CanBeCanceled ? cancellationToken : _disposed.Token;

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
