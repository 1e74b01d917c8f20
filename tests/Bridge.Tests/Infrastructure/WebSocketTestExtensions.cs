using System.Buffers;
using System.Net.WebSockets;
using System.Text;

namespace Bridge.Tests.Infrastructure;

/// <summary>One whole message (or the close) as a test client received it.</summary>
internal sealed record ReceivedMessage(WebSocketMessageType Type, byte[] Payload, WebSocketCloseStatus? CloseStatus, string? CloseReason)
{
    public string Text => Encoding.UTF8.GetString(Payload);

    public bool IsClose => Type == WebSocketMessageType.Close;
}

internal static class WebSocketTestExtensions
{
    /// <summary>Receives one whole message, or the close frame, within the signal timeout.</summary>
    public static async Task<ReceivedMessage> ReceiveMessageAsync(this WebSocket socket, TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? TestTimeouts.Signal);
        var buffer = new ArrayBufferWriter<byte>();
        while (true)
        {
            var memory = buffer.GetMemory(16 * 1024);
            var result = await socket.ReceiveAsync(memory, cts.Token);
            if (result.MessageType == WebSocketMessageType.Close)
            {
                return new ReceivedMessage(WebSocketMessageType.Close, [], socket.CloseStatus, socket.CloseStatusDescription);
            }

            buffer.Advance(result.Count);
            if (result.EndOfMessage)
            {
                return new ReceivedMessage(result.MessageType, buffer.WrittenSpan.ToArray(), null, null);
            }
        }
    }

    public static async Task<string> ReceiveTextAsync(this WebSocket socket)
    {
        var message = await socket.ReceiveMessageAsync();
        Assert.Equal(WebSocketMessageType.Text, message.Type);
        return message.Text;
    }

    /// <summary>Reads until the close frame arrives, skipping data messages; returns the close.</summary>
    public static async Task<ReceivedMessage> ReceiveCloseAsync(this WebSocket socket, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TestTimeouts.Signal);
        while (true)
        {
            var remaining = deadline - DateTime.UtcNow;
            var message = await socket.ReceiveMessageAsync(remaining > TimeSpan.Zero ? remaining : TimeSpan.FromMilliseconds(1));
            if (message.IsClose)
            {
                return message;
            }
        }
    }

    /// <summary>Asserts that nothing arrives within the absence window. The socket must not be used afterwards.</summary>
    public static async Task AssertNothingReceivedAsync(this WebSocket socket)
    {
        var buffer = new byte[1024];
        using var cts = new CancellationTokenSource(TestTimeouts.Absence);
        try
        {
            var result = await socket.ReceiveAsync(buffer, cts.Token);
            Assert.Fail($"expected nothing, received a {result.MessageType} message: {Encoding.UTF8.GetString(buffer, 0, result.Count)}");
        }
        catch (OperationCanceledException)
        {
            // Nothing arrived: as expected. (Cancelling aborts the ClientWebSocket.)
        }
    }

    public static Task SendTextAsync(this WebSocket socket, string text) =>
        socket.SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, endOfMessage: true, CancellationToken.None);

    public static Task SendBinaryAsync(this WebSocket socket, byte[] payload) =>
        socket.SendAsync(payload, WebSocketMessageType.Binary, endOfMessage: true, CancellationToken.None);
}
