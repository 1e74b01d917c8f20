using System.Buffers;
using System.Net.WebSockets;
using System.Text;
using Bridge.Configuration;
using Bridge.Diagnostics;
using Bridge.V1;
using Google.Protobuf;
using Microsoft.Extensions.Options;

namespace Bridge.Connections;

/// <summary>
/// The receive side of a WebSocket: assembles each browser message (up to
/// <c>Bridge:MaxClientMessageBytes</c>); in plain mode turns it into a <see cref="ClientMessage"/>
/// for the publisher side, in JSON mode hands it to the <see cref="JsonRequestHandler"/>. Runs
/// until the peer's close frame arrives or the transport fails.
/// </summary>
internal sealed partial class ClientFrameReader(
    IClientMessageSink sink,
    JsonRequestHandler jsonRequests,
    IOptions<BridgeOptions> options,
    BridgeMetrics metrics,
    ILogger<ClientFrameReader> logger)
{
    private const int InitialBufferBytes = 4 * 1024;

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private readonly int _maxMessageBytes = options.Value.MaxClientMessageBytes;
    private readonly int _maxEnvelopeBytes = JsonRequestHandler.MaxEnvelopeBytes(options.Value.MaxClientMessageBytes);
    private readonly TimeSpan _closeTimeout = options.Value.CloseTimeout;

    public async Task RunAsync(ClientConnection connection, WebSocket socket)
    {
        // In JSON mode the limit is on the decoded payload of a publish (payload_too_large, the
        // connection stays open); the envelope around it may be larger.
        var limit = connection.Protocol is JsonProtocol ? _maxEnvelopeBytes : _maxMessageBytes;

        // One byte over the limit is enough to know a message is too big.
        var capacity = limit + 1;

        // Held only while a message is arriving: an idle connection waits with a zero-byte read
        // and owns no receive buffer (most connections are idle most of the time).
        byte[]? buffer = null;
        var count = 0;
        var discarding = false;
        var unroutedLogged = false;
        var json = connection.Protocol is JsonProtocol ? new JsonSession() : null;
        try
        {
            while (true)
            {
                ValueWebSocketReceiveResult result;
                if (buffer is null)
                {
                    result = await socket.ReceiveAsync(Memory<byte>.Empty, CancellationToken.None);
                    if (result.MessageType != WebSocketMessageType.Close && !result.EndOfMessage)
                    {
                        buffer = ArrayPool<byte>.Shared.Rent(Math.Min(InitialBufferBytes, capacity));
                        continue;
                    }
                }
                else
                {
                    if (count == Math.Min(buffer.Length, capacity))
                    {
                        buffer = Grow(buffer, count, capacity);
                    }

                    result = await socket.ReceiveAsync(buffer.AsMemory(count, Math.Min(buffer.Length, capacity) - count), CancellationToken.None);
                }

                if (result.MessageType == WebSocketMessageType.Close)
                {
                    connection.RequestClose(CloseRequest.PeerClosed(socket.CloseStatus), _closeTimeout);
                    return;
                }

                count += result.Count;
                if (!discarding && count > limit)
                {
                    metrics.ClientMessageTooBig();
                    Log.MessageTooBig(logger, connection.Id, limit);
                    connection.RequestClose(CloseRequest.MessageTooBig, _closeTimeout);
                    discarding = true;
                }

                if (discarding)
                {
                    // We asked the peer to close; read and drop until its close frame arrives.
                    count = 0;
                    continue;
                }

                if (result.EndOfMessage && json is not null)
                {
                    // The WebSocket layer has already rejected text that is not UTF-8 (1007).
                    HandleJson(connection, json, buffer is null ? [] : buffer.AsSpan(0, count), result.MessageType);
                    count = 0;
                    Release(ref buffer);
                }
                else if (result.EndOfMessage)
                {
                    var message = Decode(connection, buffer is null ? [] : buffer.AsSpan(0, count), result.MessageType);
                    count = 0;
                    Release(ref buffer);
                    if (message is null)
                    {
                        discarding = true;
                        continue;
                    }

                    Route(connection, message, ref unroutedLogged);
                }
            }
        }
        catch (Exception ex) when (ex is WebSocketException or IOException or OperationCanceledException or ObjectDisposedException)
        {
            // Reset, aborted by a timeout, or a protocol error the framework already answered with a
            // close frame (state CloseSent): 1007 for invalid UTF-8, 1002 for bad framing. Aborting
            // now would reset the TCP connection and could destroy that close frame before the peer
            // reads it; the abort timer bounds the rest.
            if (ex is WebSocketException && socket.State == WebSocketState.CloseSent && connection.CloseRequested is null)
            {
                metrics.ProtocolError();
                Log.ProtocolError(logger, connection.Id, ex.Message);
            }
            else
            {
                Log.ConnectionLost(logger, connection.Id, ex.Message);
            }

            connection.RequestClose(CloseRequest.Lost, _closeTimeout);
        }
        finally
        {
            Release(ref buffer);
        }
    }

    private void HandleJson(ClientConnection connection, JsonSession session, ReadOnlySpan<byte> payload, WebSocketMessageType type)
    {
        try
        {
            jsonRequests.Handle(connection, session, payload, type);
        }
#pragma warning disable CA1031 // Defence in depth: one request the handler did not foresee must not take the connection down unannounced.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            Log.RequestFailed(logger, connection.Id, ex);
            connection.RequestClose(CloseRequest.InternalError, _closeTimeout);
        }
    }

    private static void Release(ref byte[]? buffer)
    {
        if (buffer is not null)
        {
            ArrayPool<byte>.Shared.Return(buffer);
            buffer = null;
        }
    }

    private ClientMessage? Decode(ClientConnection connection, ReadOnlySpan<byte> payload, WebSocketMessageType type)
    {
        var message = new ClientMessage { ConnectionId = connection.Id, Topic = connection.MessageTopic };
        if (type == WebSocketMessageType.Binary)
        {
            message.Binary = ByteString.CopyFrom(payload);
            return message;
        }

        try
        {
            message.Text = StrictUtf8.GetString(payload);
            return message;
        }
        catch (DecoderFallbackException)
        {
            // The WebSocket layer validates text frames first; this is a second line of defence.
            metrics.ProtocolError();
            Log.ProtocolError(logger, connection.Id, "invalid UTF-8 in a text message");
            connection.RequestClose(CloseRequest.InvalidUtf8, _closeTimeout);
            return null;
        }
    }

    private void Route(ClientConnection connection, ClientMessage message, ref bool unroutedLogged)
    {
        metrics.ClientMessageReceived();
        if (sink.Dispatch(message) > 0)
        {
            return;
        }

        metrics.ClientMessageUnrouted();
        if (!unroutedLogged)
        {
            // Once per connection at Information, so a chatty page cannot flood the log.
            Log.Unrouted(logger, connection.Id, message.Topic);
            unroutedLogged = true;
        }
    }

    private static byte[] Grow(byte[] buffer, int count, int capacity)
    {
        var bigger = ArrayPool<byte>.Shared.Rent(Math.Min(buffer.Length * 2, capacity));
        buffer.AsSpan(0, count).CopyTo(bigger);
        ArrayPool<byte>.Shared.Return(buffer);
        return bigger;
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 120, Level = LogLevel.Information, Message = "Connection {ConnectionId} sent a message over the limit of {MaxBytes} bytes; closing it with 1009.")]
        public static partial void MessageTooBig(ILogger logger, string connectionId, int maxBytes);

        [LoggerMessage(EventId = 121, Level = LogLevel.Information, Message = "Connection {ConnectionId} broke the WebSocket protocol and was closed: {Reason}")]
        public static partial void ProtocolError(ILogger logger, string connectionId, string reason);

        [LoggerMessage(EventId = 122, Level = LogLevel.Information, Message = "No publisher stream listens to topic '{Topic}'; a message from connection {ConnectionId} was not delivered (counted in bridge.client_messages.unrouted; logged once per connection).")]
        public static partial void Unrouted(ILogger logger, string connectionId, string topic);

        [LoggerMessage(EventId = 124, Level = LogLevel.Warning, Message = "A request on connection {ConnectionId} failed unexpectedly; closing it with 1011.")]
        public static partial void RequestFailed(ILogger logger, string connectionId, Exception exception);

        [LoggerMessage(EventId = 123, Level = LogLevel.Debug, Message = "Connection {ConnectionId} was lost: {Reason}")]
        public static partial void ConnectionLost(ILogger logger, string connectionId, string reason);
    }
}
