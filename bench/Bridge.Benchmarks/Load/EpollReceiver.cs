using System.Diagnostics;
using System.Runtime.InteropServices;
using Bridge.Benchmarks.Infrastructure;

namespace Bridge.Benchmarks.Load;

/// <summary>
/// Drives every subscriber socket from one thread: level-triggered epoll, and for each ready socket
/// one <c>recv</c> into a shared large buffer, prefixed with the incomplete frame the last read left.
/// A frame larger than the buffer is read straight into the subscriber's own carry buffer.
/// </summary>
internal sealed unsafe class EpollReceiver : IReceiver
{
    private const int BufferSize = 256 * 1024;
    private const int MaxEvents = 512;

    private readonly IStreamReader _reader;
    private readonly Subscriber?[] _subscribers;
    private readonly int _epoll;
    private readonly byte[] _buffer = GC.AllocateUninitializedArray<byte>(BufferSize, pinned: true);
    private readonly byte[] _events = GC.AllocateUninitializedArray<byte>(MaxEvents * Native.EpollEventSize, pinned: true);
    private readonly Thread _thread;
    private volatile bool _stopping;
    private long _reads;

    public long Reads => Volatile.Read(ref _reads);

    /// <summary>
    /// Pause after each round of reads, in microseconds (0: none). Lets more frames gather in each
    /// socket, so one read takes many: cheaper per frame when throughput is measured; adds latency.
    /// </summary>
    public int PauseMicroseconds { get; set; } = int.TryParse(Environment.GetEnvironmentVariable("BENCH_PAUSE_US"), out var p) ? p : 0;

    public EpollReceiver(IStreamReader reader, int capacity)
    {
        _reader = reader;
        _subscribers = new Subscriber?[capacity];
        _epoll = Native.EpollCreate(0);
        if (_epoll < 0)
        {
            throw new InvalidOperationException($"epoll_create1 failed: errno {Marshal.GetLastPInvokeError()}");
        }

        _thread = new Thread(Run) { IsBackground = true, Name = "epoll-receiver" };
        _thread.Start();
    }

    public void Add(Subscriber subscriber)
    {
        subscriber.Socket.Blocking = false;
        if (subscriber.CarryLength > 0)
        {
            // Frames that came with the handshake answer; the receiving thread has not seen this subscriber yet.
            var carry = subscriber.Carry.AsSpan(0, subscriber.CarryLength);
            var consumed = _reader.Consume(subscriber, carry, Stopwatch.GetTimestamp());
            carry[consumed..].CopyTo(carry);
            subscriber.CarryLength -= consumed;
        }

        Volatile.Write(ref _subscribers[subscriber.Id], subscriber);
        Native.EpollAdd(_epoll, subscriber.Fd, (ulong)subscriber.Id);
    }

    public void Dispose()
    {
        _stopping = true;
        _thread.Join();
        _ = Native.Close(_epoll);
    }

    private void Run()
    {
        var size = Native.EpollEventSize;
        var dataOffset = Native.EpollDataOffset;
        fixed (byte* events = _events)
        {
            while (!_stopping)
            {
                var ready = Native.EpollWait(_epoll, events, MaxEvents, 50);
                if (ready < 0)
                {
                    var errno = Marshal.GetLastPInvokeError();
                    if (errno == Native.EIntr)
                    {
                        continue;
                    }

                    throw new InvalidOperationException($"epoll_wait failed: errno {errno}");
                }

                for (var i = 0; i < ready; i++)
                {
                    var id = *(ulong*)(events + (i * size) + dataOffset);
                    var subscriber = Volatile.Read(ref _subscribers[id]);
                    if (subscriber is not null && subscriber.EndReason is null)
                    {
                        Read(subscriber);
                    }
                }

                var pause = PauseMicroseconds;
                if (pause > 0 && ready > 0)
                {
                    _ = Native.USleep((uint)pause);
                }
            }
        }
    }

    private void Read(Subscriber subscriber)
    {
        byte[] target;
        var start = subscriber.CarryLength;
        if (subscriber.PendingFrameSize > BufferSize)
        {
            EnsureCarry(subscriber, subscriber.PendingFrameSize, keep: start);
            target = subscriber.Carry!;
        }
        else
        {
            target = _buffer;
            if (start > 0)
            {
                subscriber.Carry.AsSpan(0, start).CopyTo(_buffer);
            }
        }

        nint received;
        fixed (byte* pointer = target)
        {
            received = Native.Recv(subscriber.Fd, pointer + start, target.Length - start, 0);
        }

        if (received <= 0)
        {
            var errno = received < 0 ? Marshal.GetLastPInvokeError() : 0;
            if (errno is Native.EAgain or Native.EIntr)
            {
                return;
            }

            Native.EpollRemove(_epoll, subscriber.Fd);
            _reader.End(subscriber, received == 0 ? "the server closed the TCP connection" : $"recv failed: errno {errno}");
            return;
        }

        Volatile.Write(ref _reads, _reads + 1);
        var total = start + (int)received;
        var consumed = _reader.Consume(subscriber, target.AsSpan(0, total), Stopwatch.GetTimestamp());
        if (subscriber.EndReason is not null)
        {
            Native.EpollRemove(_epoll, subscriber.Fd);
            return;
        }

        var left = total - consumed;
        if (ReferenceEquals(target, _buffer))
        {
            if (left > 0)
            {
                EnsureCarry(subscriber, Math.Max(left, subscriber.PendingFrameSize > BufferSize ? subscriber.PendingFrameSize : 0), keep: 0);
                _buffer.AsSpan(consumed, left).CopyTo(subscriber.Carry);
            }
        }
        else if (consumed > 0)
        {
            target.AsSpan(consumed, left).CopyTo(target);
        }

        subscriber.CarryLength = left;
    }

    private static void EnsureCarry(Subscriber subscriber, int size, int keep)
    {
        if (subscriber.Carry is { } carry && carry.Length >= size)
        {
            return;
        }

        var grown = new byte[Math.Max(size, Math.Max(1024, 2 * (subscriber.Carry?.Length ?? 0)))];
        subscriber.Carry.AsSpan(0, keep).CopyTo(grown);
        subscriber.Carry = grown;
    }
}
