using System.Net;

namespace Bridge.Benchmarks.Load;

/// <summary>
/// The subscribers of one scenario: connects them (blocking handshakes on a few threads, so the
/// sockets never touch .NET's socket engine before the receiver owns them), hands them to the
/// receiver, sends keep-alives where the protocol needs them, and closes them all at the end.
/// </summary>
internal sealed class SubscriberPool : IDisposable
{
    private readonly List<Subscriber> _subscribers = [];
    private readonly IReceiver _receiver;
    private Timer? _keepAlive;

    public SubscriberPool(ReceiverKind kind, IStreamReader reader, int capacity)
    {
        Reader = reader;
        _receiver = kind == ReceiverKind.Epoll ? new EpollReceiver(reader, capacity) : new AsyncReceiver(reader);
    }

    public IStreamReader Reader { get; }

    /// <summary>Reads that returned data, over all subscribers.</summary>
    public long Reads => _receiver.Reads;

    public IReadOnlyList<Subscriber> Subscribers
    {
        get
        {
            lock (_subscribers)
            {
                return [.. _subscribers];
            }
        }
    }

    public int Count
    {
        get
        {
            lock (_subscribers)
            {
                return _subscribers.Count;
            }
        }
    }

    /// <summary>Connects <paramref name="count"/> more subscribers to <paramref name="server"/>, speaking <paramref name="protocol"/>.</summary>
    public async Task ConnectAsync(int count, IPEndPoint server, SubscriberProtocol protocol, CancellationToken cancellationToken)
    {
        var first = Count;
        var next = first - 1;
        var end = first + count;
        var failures = new List<Exception>();
        var parallelism = Math.Clamp(count / 50, 1, 16);
        var workers = Enumerable.Range(0, parallelism).Select(_ => Task.Factory.StartNew(() =>
        {
            int id;
            while ((id = Interlocked.Increment(ref next)) < end && !cancellationToken.IsCancellationRequested)
            {
                try
                {
                    var subscriber = protocol.Connect(id, server, LoopbackSources.ForConnection(id), TimeSpan.FromSeconds(30));
                    lock (_subscribers)
                    {
                        _subscribers.Add(subscriber);
                    }

                    _receiver.Add(subscriber);
                }
                catch (Exception ex) when (ex is IOException or System.Net.Sockets.SocketException)
                {
                    lock (failures)
                    {
                        failures.Add(ex);
                    }

                    return;
                }
            }
        }, cancellationToken, TaskCreationOptions.LongRunning, TaskScheduler.Default)).ToArray();
        await Task.WhenAll(workers);
        if (failures.Count > 0)
        {
            throw new IOException($"{failures.Count} subscriber connection(s) failed after {Count - first} of {count} connected; first: {failures[0].Message}", failures[0]);
        }
    }

    /// <summary>Waits until every subscriber is subscribed (<see cref="Subscriber.Ready"/>); false if one ended or time ran out.</summary>
    public async Task<bool> WaitUntilReadyAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var subscribers = Subscribers;
            if (subscribers.All(s => s.Ready))
            {
                return true;
            }

            if (DateTime.UtcNow > deadline || subscribers.Any(s => s.EndReason is not null))
            {
                return false;
            }

            await Task.Delay(10, cancellationToken);
        }
    }

    /// <summary>Sends <paramref name="payload"/> as a text frame from every subscriber every <paramref name="interval"/>.</summary>
    public void StartKeepAlive(byte[] payload, TimeSpan interval)
    {
        _keepAlive = new Timer(_ =>
        {
            foreach (var subscriber in Subscribers)
            {
                if (subscriber.EndReason is null)
                {
                    try
                    {
                        subscriber.Send(ClientFrames.Text, payload);
                    }
                    catch (Exception ex) when (ex is System.Net.Sockets.SocketException or TimeoutException or ObjectDisposedException)
                    {
                        Reader.End(subscriber, "keep-alive failed: " + ex.Message);
                    }
                }
            }
        }, null, interval, interval);
    }

    /// <summary>Subscribers that did not receive exactly the messages up to <paramref name="lastIndex"/>.</summary>
    public IEnumerable<string> CheckReceivedThrough(long lastIndex)
    {
        foreach (var subscriber in Subscribers)
        {
            if (subscriber.EndReason is { } reason)
            {
                yield return $"subscriber {subscriber.Id} ended: {reason}";
            }
            else if (subscriber.Expected != lastIndex + 1)
            {
                yield return subscriber.Expected < 0
                    ? $"subscriber {subscriber.Id} received nothing"
                    : $"subscriber {subscriber.Id} stopped at message {subscriber.Expected - 1}, the last sent was {lastIndex}";
            }
        }
    }

    public void Dispose()
    {
        _keepAlive?.Dispose();
        foreach (var subscriber in Subscribers)
        {
            subscriber.EndReason ??= "closed by the benchmark";
        }

        _receiver.Dispose();
        foreach (var subscriber in Subscribers)
        {
            subscriber.Dispose();
        }
    }
}
