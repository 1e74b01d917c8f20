using System.Net;
using System.Net.Sockets;
using System.Text;
using Bridge.Benchmarks.Load;

namespace Bridge.Benchmarks.Scenarios;

/// <summary>
/// (f) Churn: while updates are published at a steady rate to a set of steady subscribers, other
/// connections open (upgrade), close cleanly (Close 1000, wait for the server's Close) and go,
/// as fast as a few workers manage; completed connect+disconnect cycles per second. Every cycle
/// must succeed, and the steady subscribers must still get every message in order.
/// </summary>
internal static class ChurnScenario
{
    public static async Task RunAsync(ScenarioRun run, CancellationToken cancellationToken)
    {
        var settings = run.Context.Settings;
        await using var session = await BroadcastSession.StartAsync(run, settings.ChurnSubscribers, cancellationToken);
        await session.AddSubscribersAsync(settings.ChurnSubscribers, cancellationToken);
        await session.ConnectPublisherAsync(run.PayloadSize, cancellationToken);
        await session.Loop.PrimeAsync(settings.ChurnSubscribers, TimeSpan.FromSeconds(30), cancellationToken);
        run.Progress($"{settings.ChurnSubscribers} steady subscribers at {settings.ChurnRate} messages/s; {settings.ChurnWorkers} workers churning");

        var churn = new Churn(ScenarioRun.EndPoint(session.Server), run.Server.SubscribeTarget);
        using var stop = new CancellationTokenSource();
        var publishing = Task.Run(() => session.Loop.RunAtRateAsync(settings.ChurnRate, stop.Token), CancellationToken.None);
        var workers = Enumerable.Range(0, settings.ChurnWorkers).Select(_ => Task.Run(() => churn.RunAsync(stop.Token), CancellationToken.None)).ToArray();
        try
        {
            string? Check() => publishing.IsCompleted ? session.Loop.Problem ?? "the publisher stopped" : session.Tracker.ErrorCount > 0 ? string.Join("; ", session.Tracker.Errors.Take(3)) : null;
            await Snapshot.MeasureAsync(run, session.Server, "warm-up", settings.Warmup, () => churn.Cycles, "cycles", Check, cancellationToken);
            var (start, end) = await Snapshot.MeasureAsync(run, session.Server, "measuring", settings.Duration, () => churn.Cycles, "cycles", Check, cancellationToken);
            Snapshot.Record(run.Result, start, end, Metric.ChurnPerSecond, allocationMetric: null);
            run.Result.Metrics[Metric.Subscribers] = settings.ChurnSubscribers;
            run.Result.Metrics[Metric.OfferedRate] = settings.ChurnRate;
        }
        finally
        {
            await stop.CancelAsync();
            await publishing;
            await Task.WhenAll(workers);
        }

        await session.FinishAsync(run.Result);
        run.Result.FailAll(churn.Errors, "churn: ");
        if (churn.ErrorCount > churn.Errors.Count)
        {
            run.Result.Fail($"... {churn.ErrorCount} churn errors in all");
        }
    }

    /// <summary>The connect → upgrade → close → closed cycles of all workers.</summary>
    private sealed class Churn(IPEndPoint server, string target)
    {
        private static readonly byte[] Close = ClientFrames.NormalClose();
        private readonly byte[] _upgrade = ClientFrames.UpgradeRequest(server.ToString(), target);
        private readonly List<string> _errors = [];
        private long _cycles;
        private long _next;
        private long _errorCount;

        public long Cycles => Volatile.Read(ref _cycles);

        public long ErrorCount => Volatile.Read(ref _errorCount);

        public IReadOnlyList<string> Errors
        {
            get
            {
                lock (_errors)
                {
                    return [.. _errors];
                }
            }
        }

        public async Task RunAsync(CancellationToken stop)
        {
            var buffer = new byte[16 * 1024];
            while (!stop.IsCancellationRequested)
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
                try
                {
                    await CycleAsync(buffer, timeout.Token);
                    Interlocked.Increment(ref _cycles);
                }
                catch (Exception ex) when (ex is SocketException or IOException or OperationCanceledException)
                {
                    Interlocked.Increment(ref _errorCount);
                    lock (_errors)
                    {
                        if (_errors.Count < 10)
                        {
                            _errors.Add(ex is OperationCanceledException ? "a cycle took longer than 10 s" : ex.Message);
                        }
                    }
                }
            }
        }

        private async Task CycleAsync(byte[] buffer, CancellationToken cancellationToken)
        {
            using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            socket.Bind(new IPEndPoint(LoopbackSources.ForChurn(Interlocked.Increment(ref _next)), 0));
            await socket.ConnectAsync(server, cancellationToken);
            await socket.SendAsync(_upgrade, SocketFlags.None, cancellationToken);

            // The upgrade answer, then frames (updates published meanwhile) up to the server's Close.
            var length = 0;
            var headerEnd = -1;
            while (headerEnd < 0)
            {
                length += await ReceiveSomeAsync(socket, buffer, length, cancellationToken);
                headerEnd = buffer.AsSpan(0, length).IndexOf("\r\n\r\n"u8);
            }

            WebSocketConnector.CheckUpgradeAnswer(Encoding.ASCII.GetString(buffer, 0, headerEnd), target);
            await socket.SendAsync(Close, SocketFlags.None, cancellationToken);

            var position = headerEnd + 4;
            while (true)
            {
                if (TryReadFrame(buffer.AsSpan(position, length - position), out var opcode, out var size))
                {
                    if (opcode == ClientFrames.Close)
                    {
                        return;
                    }

                    position += size;
                    continue;
                }

                // Keep the incomplete frame; make room for more.
                buffer.AsSpan(position, length - position).CopyTo(buffer);
                length -= position;
                position = 0;
                if (length == buffer.Length)
                {
                    throw new IOException("a frame larger than the churn buffer");
                }

                length += await ReceiveSomeAsync(socket, buffer, length, cancellationToken);
            }
        }

        private static async Task<int> ReceiveSomeAsync(Socket socket, byte[] buffer, int offset, CancellationToken cancellationToken)
        {
            var received = await socket.ReceiveAsync(buffer.AsMemory(offset), SocketFlags.None, cancellationToken);
            return received > 0 ? received : throw new IOException("the server closed the connection before its Close frame");
        }

        private static bool TryReadFrame(ReadOnlySpan<byte> data, out byte opcode, out int size)
        {
            opcode = 0;
            size = 0;
            if (data.Length < 2)
            {
                return false;
            }

            opcode = (byte)(data[0] & 0x0F);
            long length = data[1] & 0x7F;
            var header = 2;
            if (length == 126)
            {
                if (data.Length < 4)
                {
                    return false;
                }

                length = System.Buffers.Binary.BinaryPrimitives.ReadUInt16BigEndian(data[2..]);
                header = 4;
            }
            else if (length == 127)
            {
                if (data.Length < 10)
                {
                    return false;
                }

                length = (long)System.Buffers.Binary.BinaryPrimitives.ReadUInt64BigEndian(data[2..]);
                header = 10;
            }

            size = header + (int)length;
            return data.Length >= size;
        }
    }
}
