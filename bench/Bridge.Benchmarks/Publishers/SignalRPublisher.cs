using System.Net.WebSockets;
using System.Text;
using Bridge.Benchmarks.Load;

namespace Bridge.Benchmarks.Publishers;

/// <summary>
/// The SignalR baseline's publisher, speaking the JSON hub protocol itself over a WebSocket to
/// <c>/hub?role=publisher</c> (which keeps it out of the group): each payload is a non-blocking
/// invocation <c>{"type":1,"target":"Publish","arguments":["payload"]}</c>. Sends a ping
/// every 10 s, to stay within the hub's client timeout.
/// </summary>
internal sealed class SignalRPublisher : WebSocketPublisher
{
    private static readonly TimeSpan KeepAliveInterval = TimeSpan.FromSeconds(10);
    private readonly Timer _keepAlive;

    private SignalRPublisher(ClientWebSocket socket, int payloadSize)
        : base(socket, payloadSize, Encoding.ASCII.GetBytes("{\"type\":1,\"target\":\"Publish\",\"arguments\":[\""), Encoding.ASCII.GetBytes("\"]}\u001e"))
    {
        _keepAlive = new Timer(_ => _ = PingAsync(), null, KeepAliveInterval, KeepAliveInterval);
    }

    public static async Task<SignalRPublisher> ConnectSignalRAsync(int port, int payloadSize, CancellationToken cancellationToken)
    {
        var socket = await OpenAsync(port, "/hub?role=publisher", cancellationToken);
        await socket.SendAsync(SignalRDecoder.Handshake, WebSocketMessageType.Text, endOfMessage: true, cancellationToken);

        // The handshake answer, "{}\u001e", comes before anything else.
        var buffer = new byte[1024];
        var result = await socket.ReceiveAsync(buffer.AsMemory(), cancellationToken);
        var answer = Encoding.UTF8.GetString(buffer, 0, result.Count);
        if (answer != "{}\u001e")
        {
            socket.Dispose();
            throw new IOException($"SignalR handshake failed: {answer}");
        }

        return new SignalRPublisher(socket, payloadSize);
    }

    protected override async ValueTask DisposeAsyncCore()
    {
        await _keepAlive.DisposeAsync();
        await base.DisposeAsyncCore();
    }

    private async Task PingAsync()
    {
        try
        {
            await SendLock.WaitAsync();
            try
            {
                await Socket.SendAsync(SignalRDecoder.Ping, WebSocketMessageType.Text, endOfMessage: true, CancellationToken.None);
            }
            finally
            {
                SendLock.Release();
            }
        }
        catch (Exception ex) when (ex is WebSocketException or ObjectDisposedException)
        {
            ErrorList.Add("keep-alive failed: " + ex.Message);
        }
    }
}
