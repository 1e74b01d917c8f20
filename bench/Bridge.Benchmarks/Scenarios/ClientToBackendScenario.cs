using System.Diagnostics;
using Bridge.Benchmarks.Load;
using Bridge.Benchmarks.Publishers;
using Bridge.V1;
using HdrHistogram;

namespace Bridge.Benchmarks.Scenarios;

/// <summary>
/// (e) Browsers → backend: many WebSockets send text frames, the bridge forwards each to a backend
/// <c>Publish</c> stream as a <c>ClientMessage</c>; messages per second arriving at the backend.
/// Each browser keeps a window of messages in flight (sent, not yet at the backend), far below the
/// stream's queue, so the bridge never has to drop one. Every browser's messages must arrive in
/// order, without gaps or duplicates.
/// </summary>
/// <remarks>A message's index is the browser's number times 2^40 plus its sequence number.</remarks>
internal static class ClientToBackendScenario
{
    private const int SequenceBits = 40;

    public static async Task RunAsync(ScenarioRun run, CancellationToken cancellationToken)
    {
        var settings = run.Context.Settings;
        var browsers = settings.Browsers;
        using var flow = new Flow(browsers);
        await using var session = await BroadcastSession.StartAsync(run, browsers, cancellationToken);
        var backend = BridgePublisher.Connect(session.Server.GrpcPort, Servers.BridgeServer.Topic, run.PayloadSize, flow.OnClientMessage);
        await using var _ = backend;
        await backend.Listening.WaitAsync(TimeSpan.FromSeconds(10), cancellationToken);
        await session.AddSubscribersAsync(browsers, cancellationToken);
        var connections = session.Pool.Subscribers.ToArray();
        run.Progress($"{browsers} browsers connected; each keeps {settings.BrowserWindow} messages in flight");

        using var stop = new CancellationTokenSource();
        var sender = new Thread(() => flow.Send(connections, run.PayloadSize, settings.BrowserWindow, stop.Token)) { IsBackground = true, Name = "browser-sender" };
        sender.Start();
        try
        {
            string? Check() => flow.Problem ?? (session.Tracker.ErrorCount > 0 ? string.Join("; ", session.Tracker.Errors.Take(3)) : null) ?? (backend.Errors.Count > 0 ? string.Join("; ", backend.Errors.Take(3)) : null);
            await Snapshot.MeasureAsync(run, session.Server, "warm-up", settings.Warmup, () => flow.Received, "messages", Check, cancellationToken);
            flow.RecordLatency = true;
            var (start, end) = await Snapshot.MeasureAsync(run, session.Server, "measuring", settings.Duration, () => flow.Received, "messages", Check, cancellationToken);
            flow.RecordLatency = false;
            Snapshot.Record(run.Result, start, end, Metric.ClientMessagesPerSecond, Metric.AllocatedBytesPerMessage);
            run.Result.Metrics[Metric.Connections] = browsers;
            run.Result.Metrics[Metric.Window] = settings.BrowserWindow;
        }
        finally
        {
            await stop.CancelAsync();
            sender.Join();
        }

        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(15);
        while (flow.Received < flow.Sent && DateTime.UtcNow < deadline && flow.Problem is null)
        {
            await Task.Delay(20, CancellationToken.None);
        }

        if (flow.Received != flow.Sent)
        {
            run.Result.Fail($"the backend received {flow.Received} of the {flow.Sent} messages the browsers sent");
        }

        if (flow.Problem is { } problem)
        {
            run.Result.Fail(problem);
        }

        run.Result.FailAll(flow.Errors);
        run.Result.FailAll(session.Tracker.Errors, "browsers: ");
        run.Result.FailAll(backend.Errors, "backend: ");
        run.Result.Latency = flow.Latency;
        if (flow.Latency.TotalCount > 0)
        {
            LatencyScenario.RecordPercentiles(run.Result, flow.Latency);
        }
    }

    /// <summary>The browsers' send windows and what the backend received of each.</summary>
    private sealed class Flow(int browsers) : IDisposable
    {
        private readonly long[] _sent = new long[browsers];
        private readonly long[] _received = new long[browsers];
        private readonly SemaphoreSlim _credit = new(0);
        private readonly List<string> _errors = [];
        private long _total;
        private long _totalSent;
        private int _senderWaiting;

        public long Received => Volatile.Read(ref _total);

        public long Sent => Volatile.Read(ref _totalSent);

        public bool RecordLatency { get; set; }

        /// <summary>Browser→backend latency; written only by the backend's reading loop.</summary>
        public LongHistogram Latency { get; } = new(Stopwatch.Frequency * 60, 3);

        public string? Problem { get; private set; }

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

        /// <summary>The backend's stream got a browser's message (called by its single reading loop).</summary>
        public void OnClientMessage(ClientMessage message)
        {
            var now = Stopwatch.GetTimestamp();
            if (!Payload.TryParse(message.Text.AsSpan(), out var index, out var sentAt))
            {
                Error($"the backend got a message that is not a benchmark payload: {message.Text[..Math.Min(40, message.Text.Length)]}");
                return;
            }

            var browser = (int)(index >> SequenceBits);
            var sequence = index & ((1L << SequenceBits) - 1);
            if (browser >= _received.Length)
            {
                Error($"the backend got a message from unknown browser {browser}");
                return;
            }

            var expected = Volatile.Read(ref _received[browser]);
            if (sequence != expected)
            {
                Error($"browser {browser}: the backend got message {sequence}, expected {expected}");
            }

            Volatile.Write(ref _received[browser], sequence + 1);
            Interlocked.Increment(ref _total);
            if (RecordLatency)
            {
                Latency.RecordValue(Math.Clamp(now - sentAt, 0, Latency.HighestTrackableValue));
            }

            if (Interlocked.Exchange(ref _senderWaiting, 0) == 1)
            {
                _credit.Release();
            }
        }

        /// <summary>The sending loop: tops every browser's window up, one write per browser.</summary>
        public void Send(Subscriber[] connections, int payloadSize, int window, CancellationToken stop)
        {
            var frameLength = ClientFrames.FrameLength(payloadSize);
            var buffer = new byte[frameLength * window];
            var payload = new byte[payloadSize];
            try
            {
                while (!stop.IsCancellationRequested && Problem is null)
                {
                    var sentAny = false;
                    for (var i = 0; i < connections.Length; i++)
                    {
                        var credit = window - (int)(_sent[i] - Volatile.Read(ref _received[i]));
                        if (credit <= 0)
                        {
                            continue;
                        }

                        var length = 0;
                        var timestamp = Stopwatch.GetTimestamp();
                        for (var j = 0; j < credit; j++)
                        {
                            Payload.Write(payload, ((long)i << SequenceBits) | (_sent[i] + j), timestamp);
                            length += ClientFrames.Write(buffer.AsSpan(length), ClientFrames.Text, payload, connections[i].MaskKey);
                        }

                        connections[i].SendRaw(buffer.AsSpan(0, length));
                        _sent[i] += credit;
                        Interlocked.Add(ref _totalSent, credit);
                        sentAny = true;
                    }

                    if (!sentAny)
                    {
                        Volatile.Write(ref _senderWaiting, 1);
                        _credit.Wait(TimeSpan.FromMilliseconds(50), CancellationToken.None);
                    }
                }
            }
            catch (Exception ex) when (ex is System.Net.Sockets.SocketException or TimeoutException or ObjectDisposedException)
            {
                Problem = "a browser could not send: " + ex.Message;
            }
        }

        public void Dispose() => _credit.Dispose();

        private void Error(string error)
        {
            lock (_errors)
            {
                if (_errors.Count < 20)
                {
                    _errors.Add(error);
                }
            }
        }
    }
}
