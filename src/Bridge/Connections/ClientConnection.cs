using System.Net.WebSockets;
using System.Threading.Channels;
using Bridge.Diagnostics;

namespace Bridge.Connections;

/// <summary>
/// One browser WebSocket: its subscriptions, its bounded outbound queue and the single loop that
/// writes to the socket.
/// </summary>
/// <remarks>
/// Rules (see Connections/README.md): producers only call <see cref="TryEnqueue"/>, which never
/// blocks; only <see cref="RunSenderAsync"/> writes to the socket, including the close frame. A
/// queue overflow closes the connection with 1008 "slow consumer" instead of waiting for it. Every
/// server-initiated close arms an abort timer, so no close waits on a peer for longer than its timeout.
/// </remarks>
internal sealed partial class ClientConnection : IDisposable
{
    private readonly Channel<OutboundFrame> _queue;
    private readonly ConnectionSettings _settings;
    private readonly BridgeMetrics _metrics;
    private readonly ILogger _logger;
    private CloseRequest? _close;
    private WebSocket? _socket;
    private readonly Lock _timerGate = new();
    private ITimer? _abortTimer;
    private bool _disposed;
    private int _aborted;

    public ClientConnection(string id, string[] topics, ConnectionSettings settings, BridgeMetrics metrics, ILogger logger)
    {
        Id = id;
        Topics = topics;
        MessageTopic = topics.Length == 1 ? topics[0] : string.Empty;
        _settings = settings;
        _metrics = metrics;
        _logger = logger;
        _queue = Channel.CreateBounded<OutboundFrame>(new BoundedChannelOptions(settings.SendQueueLength)
        {
            FullMode = BoundedChannelFullMode.Wait, // TryWrite fails when full; nobody ever waits.
            SingleReader = true,
            SingleWriter = false,
            AllowSynchronousContinuations = false,
        });
    }

    public string Id { get; }

    /// <summary>The topics this connection subscribed to, besides the broadcast topic.</summary>
    public IReadOnlyList<string> Topics { get; }

    /// <summary>The topic its messages carry in plain mode: its only topic, or "" when it has none or several.</summary>
    public string MessageTopic { get; }

    /// <summary>The close the server asked for, if any.</summary>
    public CloseRequest? CloseRequested => Volatile.Read(ref _close);

    /// <summary>Queues a frame without waiting. On overflow the connection is closed as a slow consumer.</summary>
    /// <returns>Whether the frame was queued.</returns>
    public bool TryEnqueue(OutboundFrame frame)
    {
        if (_queue.Writer.TryWrite(frame))
        {
            return true;
        }

        if (RequestClose(CloseRequest.SlowConsumer, _settings.CloseTimeout))
        {
            _metrics.SlowConsumerClosed();
            Log.SlowConsumer(_logger, Id, _settings.SendQueueLength);
        }

        return false;
    }

    /// <summary>
    /// Asks the sender loop to close the socket with <paramref name="request"/>; aborts the socket if
    /// the close has not completed after <paramref name="abortAfter"/>. Only the first request counts.
    /// </summary>
    public bool RequestClose(CloseRequest request, TimeSpan abortAfter)
    {
        if (Interlocked.CompareExchange(ref _close, request, null) is not null)
        {
            return false;
        }

        _queue.Writer.TryComplete();
        lock (_timerGate)
        {
            if (!_disposed)
            {
                _abortTimer = _settings.Time.CreateTimer(static state => ((ClientConnection)state!).Abort(), this, abortAfter, Timeout.InfiniteTimeSpan);
            }
        }

        return true;
    }

    /// <summary>Gives the connection its accepted socket.</summary>
    public void Attach(WebSocket socket)
    {
        Interlocked.Exchange(ref _socket, socket);
        if (Volatile.Read(ref _aborted) == 1)
        {
            socket.Abort();
        }
    }

    /// <summary>Tears the transport down at once; pending sends and receives fail.</summary>
    public void Abort()
    {
        Interlocked.Exchange(ref _aborted, 1);
        Volatile.Read(ref _socket)?.Abort();
    }

    /// <summary>
    /// The one writer of this socket's data: sends queued frames in order, then the requested close.
    /// Each wake-up gathers the pre-built frames of everything queued so far into one transport
    /// write, instead of one write (and one framing) per frame; the close goes through the WebSocket.
    /// </summary>
    public async Task RunSenderAsync(WebSocket socket, CoalescingStream transport)
    {
        try
        {
            await SendQueuedFramesAsync(transport);
            var close = Volatile.Read(ref _close);
            if (close is not null && socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
            {
                await socket.CloseOutputAsync(close.Status, close.Reason, CancellationToken.None);
            }
        }
        catch (Exception ex) when (ex is WebSocketException or IOException or OperationCanceledException or ObjectDisposedException)
        {
            // The peer went away or the socket was aborted (close timeout, ping timeout): nothing left to send to.
            Log.SendFailed(_logger, Id, ex.Message);
            Abort();
        }
    }

    private async Task SendQueuedFramesAsync(CoalescingStream transport)
    {
        var reader = _queue.Reader;
        while (await reader.WaitToReadAsync())
        {
            while (reader.TryRead(out var frame))
            {
                if (Volatile.Read(ref _close) is { DiscardPending: true } || !transport.TryAppendFrame(frame.Bytes, out var gathered))
                {
                    await transport.FlushGatheredAsync();
                    return;
                }

                if (gathered >= CoalescingStream.FlushThreshold)
                {
                    await transport.FlushGatheredAsync();
                }
            }

            await transport.FlushGatheredAsync();
        }
    }

    public void Dispose()
    {
        // A late direct send must not mistake the finished connection for a slow consumer.
        Interlocked.CompareExchange(ref _close, CloseRequest.Lost, null);
        _queue.Writer.TryComplete();
        lock (_timerGate)
        {
            _disposed = true;
            _abortTimer?.Dispose();
        }
    }
}
