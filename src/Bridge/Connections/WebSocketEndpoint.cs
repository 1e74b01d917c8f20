using System.IO.Pipelines;
using System.Net.WebSockets;
using Bridge.Configuration;
using Bridge.Protocol;
using Bridge.Security;
using Bridge.Topics;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Options;

namespace Bridge.Connections;

/// <summary>
/// <c>GET /ws</c>: admits the request, picks plain mode or the <c>bridge.v1.json</c> subprotocol
/// (when the client offers it), subscribes the connection before the handshake completes
/// (so anything published after the browser sees "open" reaches it), then runs the connection's
/// sender and receiver until it closes. The bridge speaks RFC 6455 itself on the upgraded
/// transport's pipes (<see cref="WebSocketChannel"/>, <see cref="ClientFrameReader"/>), so the
/// sender copies whatever is queued for a connection into one transport write.
/// </summary>
internal sealed partial class WebSocketEndpoint(
    ConnectionAdmission admission,
    ClientConnectionFactory factory,
    ConnectionRegistry registry,
    ClientFrameReader reader,
    TimeProvider time,
    ILogger<WebSocketEndpoint> logger)
{
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
    /// its sender and receiver until it closes, and hands the transport back to
    /// <paramref name="upgrade"/> with the final state. Shared by the HTTP path above and
    /// <see cref="DirectUpgradeMiddleware"/>.
    /// </summary>
    public async Task RunAsync<TUpgrade>(string[] topics, bool json, TUpgrade upgrade)
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

        WebSocketChannel? channel = null;
        var final = WebSocketState.Aborted;
        try
        {
            registry.Add(connection);
            try
            {
                channel = await upgrade.AcceptAsync(json, time.GetTimestamp());
            }
            catch (Exception ex) when (ex is IOException or OperationCanceledException or InvalidOperationException)
            {
                // The client went away during the handshake.
                Log.HandshakeFailed(logger, connection.Id, ex.Message);
                return;
            }

            connection.Attach(channel);
            Log.Connected(logger, connection.Id, connection.Topics.Count);
            var sender = connection.RunSenderAsync(channel);
            try
            {
                await reader.RunAsync(connection, channel);
            }
#pragma warning disable CA1031 // Defence in depth: a reader bug must end this connection cleanly, not leave its sender writing after the transport is handed back.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                Log.ReaderFailed(logger, connection.Id, ex);
                connection.RequestClose(CloseRequest.Lost, TimeSpan.Zero);
                connection.Abort();
            }

            // The sender must be done before the transport goes back to its owner.
            await sender;
            final = channel.State;
            Log.Disconnected(logger, connection.Id, final);
        }
        finally
        {
            registry.Remove(connection);
            upgrade.Complete(channel, final);
        }
    }

    /// <summary>The HTTP path's upgrade: Kestrel sends the 101 and hands over the connection's stream, read and written through pipes.</summary>
    private readonly struct HttpUpgrade(HttpContext context) : IWebSocketUpgrade
    {
        public async Task<WebSocketChannel> AcceptAsync(bool json, long connectedAt)
        {
            var stream = await WebSocketHandshake.AcceptAsync(context, json ? JsonEnvelopes.Subprotocol : null);

            // Zero-byte reads: an idle connection waits without holding a receive buffer.
            return new WebSocketChannel(
                PipeReader.Create(stream, new StreamPipeReaderOptions(leaveOpen: true, useZeroByteReads: true)),
                PipeWriter.Create(stream, new StreamPipeWriterOptions(leaveOpen: true)),
                connectedAt,
                context.Abort);
        }

        public void Complete(WebSocketChannel? channel, WebSocketState final)
        {
            if (final is WebSocketState.Aborted or WebSocketState.None)
            {
                context.Abort();
            }

            channel?.Input.Complete();

            // Everything meant to be sent was flushed by the sender; after an abort, anything left
            // in the writer is dropped rather than written synchronously to the upgrade stream.
            channel?.Output.Complete(final is WebSocketState.Aborted or WebSocketState.None ? new ConnectionAbortedException() : null);
        }
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

        [LoggerMessage(EventId = 101, Level = LogLevel.Debug, Message = "Connection {ConnectionId} ended: {State}.")]
        public static partial void Disconnected(ILogger logger, string connectionId, WebSocketState state);

        [LoggerMessage(EventId = 103, Level = LogLevel.Debug, Message = "Connection {ConnectionId} failed during the handshake: {Reason}")]
        public static partial void HandshakeFailed(ILogger logger, string connectionId, string reason);

        [LoggerMessage(EventId = 105, Level = LogLevel.Error, Message = "Reading connection {ConnectionId} failed unexpectedly; it was aborted.")]
        public static partial void ReaderFailed(ILogger logger, string connectionId, Exception exception);

        [LoggerMessage(EventId = 102, Level = LogLevel.Information, Message = "Refused a WebSocket request with {StatusCode}: {Reason}")]
        public static partial void Refused(ILogger logger, int statusCode, string? reason);
    }
}
