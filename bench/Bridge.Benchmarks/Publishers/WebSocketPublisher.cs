using System.Diagnostics;
using System.Net.WebSockets;
using Bridge.Benchmarks.Load;

namespace Bridge.Benchmarks.Publishers;

/// <summary>
/// A publisher WebSocket (<see cref="ClientWebSocket"/>) that sends each payload as one text
/// message, optionally wrapped (SignalR's invocation record). What the server sends back is read
/// and dropped, so the server never waits on it.
/// </summary>
internal class WebSocketPublisher : IPublisher
{
    private readonly ClientWebSocket _socket;
    private readonly byte[] _prefix;
    private readonly byte[] _suffix;
    private readonly int _payloadSize;
    private readonly byte[] _message;
    private readonly Task _reader;
    private readonly CancellationTokenSource _stop = new();

    protected WebSocketPublisher(ClientWebSocket socket, int payloadSize, byte[] prefix, byte[] suffix)
    {
        _socket = socket;
        _payloadSize = payloadSize;
        _prefix = prefix;
        _suffix = suffix;
        _message = new byte[prefix.Length + payloadSize + suffix.Length];
        prefix.CopyTo(_message, 0);
        suffix.CopyTo(_message, prefix.Length + payloadSize);
        _reader = Task.Run(DrainAsync);
    }

    /// <summary>Serializes sends: the publishing loop and keep-alives.</summary>
    protected SemaphoreSlim SendLock { get; } = new(1, 1);

    protected ClientWebSocket Socket => _socket;

    protected PublisherErrors ErrorList { get; } = new();

    public IReadOnlyCollection<string> Errors => ErrorList.Items;

    /// <summary>Connects to <c>ws://127.0.0.1:PORT/pub</c> (the naive broadcaster, raw ceiling).</summary>
    public static async Task<WebSocketPublisher> ConnectAsync(int port, string path, int payloadSize, CancellationToken cancellationToken)
    {
        var socket = await OpenAsync(port, path, cancellationToken);
        return new WebSocketPublisher(socket, payloadSize, [], []);
    }

    protected static async Task<ClientWebSocket> OpenAsync(int port, string path, CancellationToken cancellationToken)
    {
        var socket = new ClientWebSocket();
        socket.Options.KeepAliveInterval = TimeSpan.Zero;
        try
        {
            await socket.ConnectAsync(new Uri($"ws://127.0.0.1:{port}{path}"), cancellationToken);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    public async ValueTask PublishAsync(long index, CancellationToken cancellationToken)
    {
        await SendLock.WaitAsync(cancellationToken);
        try
        {
            Payload.Write(_message.AsSpan(_prefix.Length, _payloadSize), index, Stopwatch.GetTimestamp());
            await _socket.SendAsync(_message, WebSocketMessageType.Text, endOfMessage: true, cancellationToken);
        }
        finally
        {
            SendLock.Release();
        }
    }

    /// <summary>These servers do not answer each message: nothing to wait for.</summary>
    public Task<bool> DrainAsync(TimeSpan timeout) => Task.FromResult(_socket.State == WebSocketState.Open);

    public async ValueTask DisposeAsync()
    {
        await DisposeAsyncCore();
        GC.SuppressFinalize(this);
    }

    protected virtual async ValueTask DisposeAsyncCore()
    {
        await _stop.CancelAsync();
        _socket.Abort();
        await _reader.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        _socket.Dispose();
        _stop.Dispose();
        SendLock.Dispose();
    }

    private async Task DrainAsync()
    {
        var buffer = new byte[16 * 1024];
        try
        {
            while (true)
            {
                var result = await _socket.ReceiveAsync(buffer.AsMemory(), _stop.Token);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    ErrorList.Add($"the server closed the publisher: {_socket.CloseStatus} {_socket.CloseStatusDescription}");
                    return;
                }
            }
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or ObjectDisposedException)
        {
            if (!_stop.IsCancellationRequested)
            {
                ErrorList.Add("the publisher's connection failed: " + ex.Message);
            }
        }
    }
}
