using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Bridge.Tests.Infrastructure;

/// <summary>A real <see cref="ClientWebSocket"/> speaking the <c>bridge.v1.json</c> subprotocol, as a test drives it.</summary>
internal sealed class JsonClient : IDisposable
{
    private JsonClient(ClientWebSocket socket, string connectionId)
    {
        Socket = socket;
        ConnectionId = connectionId;
    }

    public ClientWebSocket Socket { get; }

    /// <summary>The id the bridge's welcome named.</summary>
    public string ConnectionId { get; }

    /// <summary>Connects with the subprotocol and reads the welcome.</summary>
    public static Task<JsonClient> ConnectAsync(BridgeServer server, params string[] topics) =>
        ConnectAsync(server, receiveBufferBytes: null, topics);

    /// <summary>
    /// Connects with the subprotocol and reads the welcome; <paramref name="receiveBufferBytes"/>
    /// fixes the client's kernel receive buffer (small, so the bridge's send queue rather than the
    /// kernel absorbs what a client that stops reading is sent).
    /// </summary>
    public static async Task<JsonClient> ConnectAsync(BridgeServer server, int? receiveBufferBytes, params string[] topics)
    {
        var socket = new ClientWebSocket();
        socket.Options.AddSubProtocol("bridge.v1.json");
        if (receiveBufferBytes is { } size)
        {
            // Not disposed: the upgraded connection outlives the handshake (as in SlowConsumerTests).
            var handler = new SocketsHttpHandler
            {
                ConnectCallback = async (context, cancellationToken) =>
                {
                    var tcp = new System.Net.Sockets.Socket(System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp) { ReceiveBufferSize = size };
                    await tcp.ConnectAsync(context.DnsEndPoint, cancellationToken);
                    return new System.Net.Sockets.NetworkStream(tcp, ownsSocket: true);
                },
            };
            await socket.ConnectAsync(server.WebSocketUri(topics), new HttpMessageInvoker(handler), CancellationToken.None).WaitAsync(TestTimeouts.Signal);
        }
        else
        {
            await socket.ConnectAsync(server.WebSocketUri(topics), CancellationToken.None).WaitAsync(TestTimeouts.Signal);
        }

        Assert.Equal("bridge.v1.json", socket.SubProtocol);
        var welcome = await ReceiveFromAsync(socket);
        Assert.Equal("welcome", (string?)welcome["type"]);
        return new JsonClient(socket, (string)welcome["connectionId"]!);
    }

    public Task SendAsync(object request) => SendRawAsync(JsonSerializer.Serialize(request));

    public Task SendRawAsync(string text) =>
        Socket.SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, true, CancellationToken.None);

    /// <summary>
    /// Sends a <c>ping</c> and asserts that its <c>pong</c> is the very next envelope: the connection
    /// is open and nothing else was queued for it before the ping was answered.
    /// </summary>
    public async Task PingAsync(string id = "ping")
    {
        await SendRawAsync($$"""{"type":"ping","id":"{{id}}"}""");
        var pong = await ReceiveAsync("pong");
        Assert.Equal(id, (string?)pong["id"]);
    }

    /// <summary>The next envelope.</summary>
    public Task<JsonObject> ReceiveAsync() => ReceiveFromAsync(Socket);

    /// <summary>The next envelope, which must be of <paramref name="type"/>.</summary>
    public async Task<JsonObject> ReceiveAsync(string type)
    {
        var envelope = await ReceiveAsync();
        Assert.True((string?)envelope["type"] == type, $"expected a '{type}' envelope, got {envelope.ToJsonString()}");
        return envelope;
    }

    /// <summary>Subscribes and returns the <c>subscribed</c> answer.</summary>
    public async Task<JsonObject> SubscribeAsync(string topic, ulong? sinceSequence = null, string? sinceEpoch = null, object? id = null)
    {
        var request = new JsonObject { ["type"] = "subscribe", ["topic"] = topic };
        if (id is not null)
        {
            request["id"] = JsonValue.Create(id);
        }

        if (sinceSequence is { } sequence)
        {
            request["since"] = new JsonObject { ["sequence"] = sequence, ["epoch"] = sinceEpoch };
        }

        await SendRawAsync(request.ToJsonString());
        var answer = await ReceiveAsync("subscribed");
        Assert.Equal(topic, (string?)answer["topic"]);
        return answer;
    }

    /// <summary>The next envelope, which must be a <c>message</c>.</summary>
    public async Task<JsonUpdate> ReceiveMessageAsync()
    {
        var envelope = await ReceiveAsync("message");
        return new JsonUpdate((ulong?)envelope["sequence"] ?? 0, (string)envelope["data"]!, envelope);
    }

    /// <summary>The next envelope must be the update at <paramref name="sequence"/> with <paramref name="data"/>.</summary>
    public async Task<JsonObject> ExpectMessageAsync(ulong sequence, string data)
    {
        var update = await ReceiveMessageAsync();
        Assert.True(update.Sequence == sequence && update.Data == data, $"expected update {sequence} '{data}', got {update.Envelope.ToJsonString()}");
        return update.Envelope;
    }

    private static async Task<JsonObject> ReceiveFromAsync(ClientWebSocket socket)
    {
        var message = await socket.ReceiveMessageAsync();
        Assert.False(message.IsClose, $"expected an envelope, got close {message.CloseStatus} '{message.CloseReason}'");
        Assert.Equal(WebSocketMessageType.Text, message.Type);
        return JsonNode.Parse(message.Payload)!.AsObject();
    }

    public void Dispose() => Socket.Dispose();
}

/// <summary>A <c>message</c> envelope: its sequence (0 when absent), its data and the whole envelope.</summary>
internal sealed record JsonUpdate(ulong Sequence, string Data, JsonObject Envelope);
