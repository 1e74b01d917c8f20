using System.Buffers;
using System.IO.Pipelines;
using System.Text.Json;
using Bridge.Configuration;
using Bridge.Connections;
using Bridge.Security;
using Bridge.Topics;
using Microsoft.Extensions.Options;

namespace Bridge.Sse;

/// <summary>
/// <c>GET /sse?topic=…</c>: Server-Sent Events for browsers' built-in <c>EventSource</c>, which
/// reconnects by itself and sends the last event id back. The stream is a connection like a
/// WebSocket (same admission, queue, slow-consumer policies, CONNECTED/DISCONNECTED events); only
/// its encoding differs, and a resume never gets a 400, which would stop <c>EventSource</c> for good.
/// </summary>
internal sealed partial class SseEndpoint(
    ConnectionAdmission admission,
    ClientConnectionFactory factory,
    ConnectionRegistry registry,
    TimeProvider time,
    IOptions<BridgeOptions> options,
    ILogger<SseEndpoint> logger)
{
    private const int FlushThreshold = 64 * 1024;

    private static readonly OutboundFrame Heartbeat = OutboundFrame.Utf8Text(": heartbeat\n\n"u8);

    private readonly TimeSpan _heartbeat = options.Value.Sse.HeartbeatInterval;
    private readonly long _retryMilliseconds = (long)options.Value.Sse.RetryInterval.TotalMilliseconds;
    private readonly TimeSpan _closeTimeout = options.Value.CloseTimeout;
    private readonly int _maxIdLength = SseEventId.MaxLength(options.Value.MaxTopicsPerConnection);

    public async Task HandleAsync(HttpContext context)
    {
        var admitted = admission.Admit(context);
        if (!admitted.IsAdmitted)
        {
            Log.Refused(logger, admitted.StatusCode, admitted.Error!);
            context.Response.StatusCode = admitted.StatusCode;
            await context.Response.WriteAsync(admitted.Error + "\n");
            return;
        }

        // After an automatic reconnect the header is newer than the query the page opened with.
        // Two Last-Event-ID headers cannot both be the browser's; treat that as unreadable.
        var header = context.Request.Headers["Last-Event-ID"];
        var lastEventId = header.Count switch { 0 => string.Empty, 1 => header[0] ?? string.Empty, _ => "," };
        if (lastEventId.Length == 0)
        {
            lastEventId = context.Request.Query["lastEventId"].ToString();
        }

        Dictionary<string, TopicPosition>? since = null;
        var unreadable = lastEventId.Length > 0 && !SseEventId.TryParse(lastEventId, _maxIdLength, out since);
        string[] topics = [.. admitted.Topics, TopicName.Broadcast];
        var protocol = new SseProtocol(topics, unreadable);
        SubscriptionRequest[] subscriptions = [.. topics.Select(t => new SubscriptionRequest(t, since is not null && since.TryGetValue(t, out var position) ? position : null))];

        using var connection = factory.Create(admitted.Topics, protocol, subscriptions);
        var response = context.Response;
        response.ContentType = "text/event-stream; charset=utf-8";
        response.Headers.CacheControl = "no-cache";
        response.Headers["X-Accel-Buffering"] = "no"; // nginx and similar proxies: do not buffer the stream
        connection.OnAbort(context.Abort);
        using var aborted = context.RequestAborted.Register(() => connection.RequestClose(CloseRequest.Lost, _closeTimeout));
        using var heartbeat = time.CreateTimer(static state => ((ClientConnection)state!).EnqueueEnvelope(Heartbeat), connection, _heartbeat, _heartbeat);
        try
        {
            registry.Add(connection);
            Log.Connected(logger, connection.Id, admitted.Topics.Length, protocol.Unrecovered.Count);
            await RunSenderAsync(connection, protocol, response.BodyWriter);
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException or ObjectDisposedException or InvalidOperationException)
        {
            Log.Lost(logger, connection.Id, ex.Message);
        }
        finally
        {
            registry.Remove(connection);
        }
    }

    /// <summary>The stream's one writer: the opening events, then whatever is queued, until the connection closes.</summary>
    private async Task RunSenderAsync(ClientConnection connection, SseProtocol protocol, PipeWriter writer)
    {
        writer.Write(System.Text.Encoding.ASCII.GetBytes($"retry: {_retryMilliseconds}\n"));
        protocol.WriteId(writer);
        writer.Write("event: welcome\ndata: "u8);
        writer.Write(JsonSerializer.SerializeToUtf8Bytes(new Welcome(connection.Id), SseJsonContext.Default.Welcome));
        writer.Write("\n\n"u8);
        if (protocol.Unrecovered.Count > 0)
        {
            var reason = protocol.IdUnreadable
                ? "the event id could not be read"
                : "the history no longer holds these positions (another epoch, evicted, or beyond the history)";
            writer.Write("event: unrecovered\ndata: "u8);
            writer.Write(JsonSerializer.SerializeToUtf8Bytes(new Unrecovered([.. protocol.Unrecovered], reason), SseJsonContext.Default.Unrecovered));
            writer.Write("\n\n"u8);
        }

        await writer.FlushAsync();

        var queue = connection.Queue;
        var batch = new List<QueuedItem>();
        while (await queue.WaitToReadAsync())
        {
            queue.DrainTo(batch);
            foreach (var item in batch)
            {
                if (connection.CloseRequested is { DiscardPending: true })
                {
                    return;
                }

                if (item.Replay is { } replay)
                {
                    foreach (var message in replay)
                    {
                        protocol.WriteEvent(writer, message);
                        if (!await FlushIfLargeAsync(writer))
                        {
                            return;
                        }
                    }
                }
                else if (item.Message is { } message)
                {
                    protocol.WriteEvent(writer, message);
                }
                else
                {
                    writer.Write(item.Control!.Payload);
                }

                // Events are built per stream, so flush as the WebSocket path does rather than
                // holding a whole batch (or replay) in the response pipe.
                if (!await FlushIfLargeAsync(writer))
                {
                    return;
                }
            }

            batch.Clear();
            var flushed = await writer.FlushAsync();
            if (flushed.IsCompleted || flushed.IsCanceled)
            {
                return;
            }
        }
    }

    /// <returns>False when the response can take no more (the client went away).</returns>
    private static async ValueTask<bool> FlushIfLargeAsync(PipeWriter writer)
    {
        if (!writer.CanGetUnflushedBytes || writer.UnflushedBytes < FlushThreshold)
        {
            return true;
        }

        var flushed = await writer.FlushAsync();
        return !(flushed.IsCompleted || flushed.IsCanceled);
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 140, Level = LogLevel.Debug, Message = "SSE stream {ConnectionId} opened with {TopicCount} topic(s); {UnrecoveredCount} position(s) not recovered.")]
        public static partial void Connected(ILogger logger, string connectionId, int topicCount, int unrecoveredCount);

        [LoggerMessage(EventId = 141, Level = LogLevel.Debug, Message = "SSE stream {ConnectionId} was lost: {Reason}")]
        public static partial void Lost(ILogger logger, string connectionId, string reason);

        [LoggerMessage(EventId = 142, Level = LogLevel.Information, Message = "Refused an SSE request with {StatusCode}: {Reason}")]
        public static partial void Refused(ILogger logger, int statusCode, string reason);
    }
}

internal sealed record Welcome(string ConnectionId);

internal sealed record Unrecovered(string[] Topics, string Reason);

[System.Text.Json.Serialization.JsonSourceGenerationOptions(PropertyNamingPolicy = System.Text.Json.Serialization.JsonKnownNamingPolicy.CamelCase)]
[System.Text.Json.Serialization.JsonSerializable(typeof(Welcome))]
[System.Text.Json.Serialization.JsonSerializable(typeof(Unrecovered))]
internal sealed partial class SseJsonContext : System.Text.Json.Serialization.JsonSerializerContext;
