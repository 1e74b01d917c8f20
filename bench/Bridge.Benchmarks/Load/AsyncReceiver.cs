using System.Diagnostics;
using System.Net.Sockets;

namespace Bridge.Benchmarks.Load;

/// <summary>
/// One <c>Socket.ReceiveAsync(Memory)</c> loop per subscriber on .NET's socket engine, each with
/// its own 64 KiB buffer. The alternative to <see cref="EpollReceiver"/>, kept to compare their cost.
/// </summary>
internal sealed class AsyncReceiver(IStreamReader reader) : IReceiver
{
    private const int BufferSize = 64 * 1024;

    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _loops = [];
    private long _reads;

    public long Reads => Volatile.Read(ref _reads);

    public void Add(Subscriber subscriber)
    {
        lock (_loops)
        {
            _loops.Add(Task.Run(() => RunAsync(subscriber)));
        }
    }

    public void Dispose()
    {
        _stop.Cancel();
        Task[] loops;
        lock (_loops)
        {
            loops = [.. _loops];
        }

        foreach (var loop in loops)
        {
            // The sockets are closed by their owner; the loops end with it or with the token.
            loop.Wait(TimeSpan.FromSeconds(1));
        }

        _stop.Dispose();
    }

    private async Task RunAsync(Subscriber subscriber)
    {
        var buffer = new byte[Math.Max(BufferSize, subscriber.CarryLength)];
        var length = subscriber.CarryLength;
        subscriber.Carry.AsSpan(0, length).CopyTo(buffer);
        subscriber.CarryLength = 0;
        try
        {
            while (true)
            {
                if (length > 0)
                {
                    var consumed = reader.Consume(subscriber, buffer.AsSpan(0, length), Stopwatch.GetTimestamp());
                    if (subscriber.EndReason is not null)
                    {
                        return;
                    }

                    buffer.AsSpan(consumed, length - consumed).CopyTo(buffer);
                    length -= consumed;
                    if (subscriber.PendingFrameSize > buffer.Length)
                    {
                        var grown = new byte[subscriber.PendingFrameSize];
                        buffer.AsSpan(0, length).CopyTo(grown);
                        buffer = grown;
                    }
                }

                var received = await subscriber.Socket.ReceiveAsync(buffer.AsMemory(length), SocketFlags.None, _stop.Token);
                if (received == 0)
                {
                    reader.End(subscriber, "the server closed the TCP connection");
                    return;
                }

                Interlocked.Increment(ref _reads);
                length += received;
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
            // Stopped.
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            if (!_stop.IsCancellationRequested)
            {
                reader.End(subscriber, "receive failed: " + ex.Message);
            }
        }
    }
}
