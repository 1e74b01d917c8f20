using System.Net.WebSockets;
using Bridge.Configuration;
using Bridge.Protocol;
using Bridge.Security;
using Bridge.Topics;
using Microsoft.Extensions.Options;

namespace Bridge.Connections;

/// <summary>
/// <c>GET /ws</c>: admits the request, picks plain mode or the <c>bridge.v1.json</c> subprotocol
/// (when the client offers it), subscribes the connection before the handshake completes
/// (so anything published after the browser sees "open" reaches it), then runs the connection's
/// sender and receiver until it closes. The WebSocket runs over a <see cref="CoalescingStream"/>
/// so the sender writes whatever is queued for a connection to the transport at once.
/// </summary>
internal sealed partial class WebSocketEndpoint(
    ConnectionAdmission admission,
    ClientConnectionFactory factory,
    ConnectionRegistry registry,
    ClientFrameReader reader,
    IOptions<BridgeOptions> options,
    ILogger<WebSocketEndpoint> logger)
{
    private readonly WebSocketCreationOptions _creationOptions = new()
    {
        IsServer = true,
        KeepAliveInterval = options.Value.PingInterval,
        KeepAliveTimeout = options.Value.PingTimeout,
    };

    public async Task HandleAsync(HttpContext context)
    {
        if (!WebSocketHandshake.IsUpgradeRequest(context))
        {
            context.Response.Headers.Upgrade = "websocket";
            await RefuseAsync(context, StatusCodes.Status426UpgradeRequired, "expected a WebSocket upgrade request (GET /ws with Upgrade: websocket)");
            return;
        }

        if (WebSocketHandshake.Validate(context) is { } invalid)
        {
            await RefuseAsync(context, invalid.StatusCode, invalid.Reason);
            return;
        }

        var admitted = admission.Admit(context);
        if (!admitted.IsAdmitted)
        {
            await RefuseAsync(context, admitted.StatusCode, admitted.Error!);
            return;
        }

        var json = WebSocketHandshake.Offers(context, JsonEnvelopes.Subprotocol);
        await RunAsync(admitted.Topics, json, new HttpUpgrade(context));
    }

    /// <summary>
    /// Runs an admitted connection: subscribes it, completes the handshake with
    /// <paramref name="upgrade"/> (which sends the 101 and returns the upgraded transport), then runs
    /// its sender and receiver until it closes. Shared by the HTTP path above and
    /// <see cref="DirectUpgradeMiddleware"/>.
    /// </summary>
    /// <returns>The WebSocket's final state: <see cref="WebSocketState.Closed"/> after a complete close handshake.</returns>
    public async Task<WebSocketState> RunAsync<TUpgrade>(string[] topics, bool json, TUpgrade upgrade)
        where TUpgrade : IWebSocketUpgrade
    {
        using var connection = json
            ? factory.Create(topics, JsonProtocol.Instance, [.. topics.Select(static t => new SubscriptionRequest(t))])
            : factory.Create(topics, PlainProtocol.Instance, [new SubscriptionRequest(TopicName.Broadcast), .. topics.Select(static t => new SubscriptionRequest(t))]);
        if (json)
        {
            // First on the wire, before any subscription answer or update.
            connection.EnqueueEnvelope(JsonEnvelopes.Welcome(connection.Id));
        }

        try
        {
            registry.Add(connection);
            Stream transport;
            try
            {
                transport = await upgrade.AcceptAsync(json);
            }
            catch (Exception ex) when (ex is IOException or OperationCanceledException or InvalidOperationException)
            {
                // The client went away during the handshake.
                Log.HandshakeFailed(logger, connection.Id, ex.Message);
                return WebSocketState.Aborted;
            }

            await using var stream = new CoalescingStream(transport);
            using var socket = WebSocket.CreateFromStream(stream, _creationOptions);
            connection.Attach(socket);
            Log.Connected(logger, connection.Id, connection.Topics.Count);
            var sender = connection.RunSenderAsync(socket, stream);
            await reader.RunAsync(connection, socket);
            await sender;
            Log.Disconnected(logger, connection.Id, socket.CloseStatus is { } status ? (int)status : 0);
            return socket.State;
        }
        finally
        {
            registry.Remove(connection);
        }
    }

    /// <summary>The HTTP path's upgrade: Kestrel sends the 101 and hands over the connection's stream.</summary>
    private readonly struct HttpUpgrade(HttpContext context) : IWebSocketUpgrade
    {
        public Task<Stream> AcceptAsync(bool json) => WebSocketHandshake.AcceptAsync(context, json ? JsonEnvelopes.Subprotocol : null);
    }

    private Task RefuseAsync(HttpContext context, int statusCode, string reason)
    {
        Log.Refused(logger, statusCode, reason);
        context.Response.StatusCode = statusCode;
        return context.Response.WriteAsync(reason + "\n");
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 100, Level = LogLevel.Debug, Message = "Connection {ConnectionId} opened with {TopicCount} topic(s).")]
        public static partial void Connected(ILogger logger, string connectionId, int topicCount);

        [LoggerMessage(EventId = 101, Level = LogLevel.Debug, Message = "Connection {ConnectionId} closed with code {CloseCode}.")]
        public static partial void Disconnected(ILogger logger, string connectionId, int closeCode);

        [LoggerMessage(EventId = 103, Level = LogLevel.Debug, Message = "Connection {ConnectionId} failed during the handshake: {Reason}")]
        public static partial void HandshakeFailed(ILogger logger, string connectionId, string reason);

        [LoggerMessage(EventId = 102, Level = LogLevel.Information, Message = "Refused a WebSocket request with {StatusCode}: {Reason}")]
        public static partial void Refused(ILogger logger, int statusCode, string? reason);
    }
}
