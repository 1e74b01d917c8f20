using System.Buffers;
using System.IO.Pipelines;
using System.Runtime.CompilerServices;

namespace Bridge.Connections;

/// <summary>
/// A read-only <see cref="Stream"/> over a connection's transport pipes, for WebSockets upgraded
/// without the HTTP layer (<see cref="DirectUpgradeMiddleware"/>); the output pipe itself is
/// <see cref="Writer"/>, which <see cref="CoalescingStream"/> writes and flushes. A zero-byte read
/// waits for data without taking any, so an idle connection holds no receive buffer. Disposing it
/// ends a pending read or flush and refuses later reads, but leaves the transport to its owner,
/// which ends the connection gracefully or aborts it.
/// </summary>
internal sealed class PipeTransportStream(IDuplexPipe transport) : Stream
{
    private volatile bool _disposed;

    /// <summary>The connection's output pipe, for <see cref="CoalescingStream"/> to write frames into directly.</summary>
    public PipeWriter Writer => transport.Output;

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    // Pooled: every frame a client sends is read through here.
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var input = transport.Input;
        var result = await input.ReadAsync(cancellationToken);
        var data = result.Buffer;
        if (result.IsCanceled)
        {
            input.AdvanceTo(data.Start);
            throw new OperationCanceledException("The read was canceled.");
        }

        if (buffer.IsEmpty && !data.IsEmpty)
        {
            // A zero-byte read: data is there, none taken.
            input.AdvanceTo(data.Start);
            return 0;
        }

        var count = (int)Math.Min(data.Length, buffer.Length);
        var taken = data.Slice(0, count);
        taken.CopyTo(buffer.Span);
        input.AdvanceTo(taken.End);
        return count;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer, offset, count, CancellationToken.None).GetAwaiter().GetResult();

    // Writing goes through Writer (CoalescingStream gathers and flushes into it), never through the stream.
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override void Flush() => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing && !_disposed)
        {
            // A cancel with nothing pending applies to the next call, which the flag refuses anyway.
            _disposed = true;
            transport.Input.CancelPendingRead();
            transport.Output.CancelPendingFlush();
        }

        base.Dispose(disposing);
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();
}
