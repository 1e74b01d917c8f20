using System.Buffers;
using System.Buffers.Binary;
using System.IO.Pipelines;
using System.Net.WebSockets;
using System.Text;
using System.Text.Unicode;
using Bridge.Configuration;
using Bridge.Diagnostics;
using Bridge.Protocol;
using Bridge.V1;
using Google.Protobuf;
using Microsoft.Extensions.Options;

namespace Bridge.Connections;

/// <summary>
/// The receive side of a WebSocket (RFC 6455, server side): reads the client's frames from the
/// connection's input pipe, answers pings, follows the close handshake, and assembles each message
/// (up to <c>Bridge:MaxClientMessageBytes</c>); in plain mode turns it into a
/// <see cref="ClientMessage"/> for the publisher side, in JSON mode hands it to the
/// <see cref="JsonRequestHandler"/>. Runs until the peer's close frame arrives, a protocol error
/// fails the connection, or the transport ends.
/// </summary>
/// <remarks>
/// Errors, each answered with a close frame (docs/protocol.md); 1002 and 1007 are counted in
/// <c>bridge.connections.protocol_errors</c>, 1009 in <c>bridge.client_messages.too_big</c>:
/// 1002 for a frame that breaks RFC 6455 (<see cref="ClientFrameHeader"/>, continuation rules, a
/// malformed close), 1007 for text or a close reason that is not UTF-8, 1009 for a message over
/// the limit, known from its frame headers before its payload is read. Frames are read as they
/// arrive, so a large frame never has to fit in the transport's buffer, and the message buffer
/// grows with what has arrived, not with what a header announces.
/// </remarks>
internal sealed partial class ClientFrameReader(
    IClientMessageSink sink,
    JsonRequestHandler jsonRequests,
    IOptions<BridgeOptions> options,
    BridgeMetrics metrics,
    ILogger<ClientFrameReader> logger)
{
    private const int InitialBufferBytes = 4 * 1024;

    private readonly int _maxMessageBytes = options.Value.MaxClientMessageBytes;
    private readonly int _maxEnvelopeBytes = JsonRequestHandler.MaxEnvelopeBytes(options.Value.MaxClientMessageBytes);
    private readonly TimeSpan _closeTimeout = options.Value.CloseTimeout;

    public async Task RunAsync(ClientConnection connection, WebSocketChannel channel)
    {
        // In JSON mode the limit is on the decoded payload of a publish (payload_too_large, the
        // connection stays open); the envelope around it may be larger.
        var state = new ReceiveState(
            connection.Protocol is JsonProtocol ? _maxEnvelopeBytes : _maxMessageBytes,
            connection.Protocol is JsonProtocol ? new JsonSession() : null);
        var input = channel.Input;
        try
        {
            while (true)
            {
                ReadResult result;
                try
                {
                    result = await input.ReadAsync();
                }
                catch (Exception ex) when (ex is IOException or OperationCanceledException or ObjectDisposedException or InvalidOperationException)
                {
                    Lost(connection, ex.Message);
                    return;
                }

                if (result.IsCanceled)
                {
                    // Aborted (close or ping timeout): the owner tears the transport down.
                    Lost(connection, "aborted");
                    return;
                }

                var go = ReadFrames(connection, channel, result.Buffer, ref state, out var consumed);
                input.AdvanceTo(consumed, result.Buffer.End);
                if (!go)
                {
                    return;
                }

                if (result.IsCompleted)
                {
                    Lost(connection, "the peer closed the connection without a close frame");
                    return;
                }
            }
        }
        finally
        {
            state.ReleaseBuffer();
        }
    }

    /// <summary>Processes every whole frame (and the available part of a data frame) in <paramref name="buffer"/>.</summary>
    /// <returns>False when reading ends: the peer's close arrived or the connection failed.</returns>
    private bool ReadFrames(ClientConnection connection, WebSocketChannel channel, ReadOnlySequence<byte> buffer, ref ReceiveState state, out SequencePosition consumed)
    {
        Span<byte> control = stackalloc byte[125];
        var go = true;
        while (go)
        {
            if (state.FrameRemaining > 0)
            {
                if (buffer.IsEmpty)
                {
                    break;
                }

                var take = (int)Math.Min(buffer.Length, state.FrameRemaining);
                state.AppendPayload(buffer.Slice(0, take));
                buffer = buffer.Slice(take);
                if (state.FrameRemaining == 0 && state.FrameFin)
                {
                    go = CompleteMessage(connection, ref state);
                }

                continue;
            }

            if (ClientFrameHeader.TryRead(buffer, out var header, out var complete) is { } error)
            {
                go = Fail(connection, CloseRequest.ProtocolError(error), ref state);
                break;
            }

            if (!complete)
            {
                break;
            }

            if (header.IsControl)
            {
                if (buffer.Length < header.Length + header.PayloadLength)
                {
                    // At most 139 bytes: wait for the whole frame.
                    break;
                }

                var payload = control[..(int)header.PayloadLength];
                buffer.Slice(header.Length, payload.Length).CopyTo(payload);
                FrameMask.Apply(payload, header.MaskKey, 0);
                buffer = buffer.Slice(header.Length + payload.Length);
                go = OnControlFrame(connection, channel, header.Opcode, payload, ref state);
                continue;
            }

            if (header.Opcode == Opcode.Continuation ? state.MessageOpcode == 0 : state.MessageOpcode != 0)
            {
                go = Fail(connection, CloseRequest.ProtocolError(state.MessageOpcode == 0 ? "unexpected continuation frame" : "expected a continuation frame"), ref state);
                break;
            }

            buffer = buffer.Slice(header.Length);
            if (header.Opcode != Opcode.Continuation)
            {
                state.MessageOpcode = header.Opcode;
            }

            // Subtracted, not added: a declared length near 2^63 must not wrap around past the check.
            if (!state.Discarding && header.PayloadLength > state.Limit - state.Count)
            {
                // Known from the header: the payload is dropped as it arrives, never buffered.
                metrics.ClientMessageTooBig();
                Log.MessageTooBig(logger, connection.Id, state.Limit);
                connection.RequestClose(CloseRequest.MessageTooBig, _closeTimeout);
                state.Discard();
            }

            state.StartFrame(header);
            if (header.PayloadLength == 0 && header.Fin)
            {
                go = CompleteMessage(connection, ref state);
            }
        }

        consumed = buffer.Start;
        return go;
    }

    private bool OnControlFrame(ClientConnection connection, WebSocketChannel channel, byte opcode, ReadOnlySpan<byte> payload, ref ReceiveState state)
    {
        switch (opcode)
        {
            case Opcode.Ping:
                // Through the queue, like every frame, so it cannot land inside another frame; refused once a close is on its way.
                connection.EnqueueEnvelope(OutboundFrame.Control(Opcode.Pong, payload));
                return true;
            case Opcode.Pong:
                channel.OnPong();
                return true;
            default:
                return OnClose(connection, channel, payload, ref state);
        }
    }

    private bool OnClose(ClientConnection connection, WebSocketChannel channel, ReadOnlySpan<byte> payload, ref ReceiveState state)
    {
        if (payload.Length == 1)
        {
            return Fail(connection, CloseRequest.ProtocolError("invalid close frame"), ref state);
        }

        WebSocketCloseStatus? status = null;
        if (payload.Length >= 2)
        {
            var code = BinaryPrimitives.ReadUInt16BigEndian(payload);
            if (!IsValidCloseCode(code))
            {
                return Fail(connection, CloseRequest.ProtocolError("invalid close code"), ref state);
            }

            if (!Utf8.IsValid(payload[2..]))
            {
                return Fail(connection, CloseRequest.InvalidUtf8CloseReason, ref state);
            }

            status = (WebSocketCloseStatus)code;
        }

        channel.OnCloseReceived();
        connection.RequestClose(CloseRequest.PeerClosed(status), _closeTimeout);
        return false;
    }

    /// <summary>RFC 6455 section 7.4: the codes a peer may send (1004–1006 and 1015 are reserved, below 1000 unused).</summary>
    private static bool IsValidCloseCode(int code) => code is (>= 1000 and <= 1003) or (>= 1007 and <= 1014) or (>= 3000 and <= 4999);

    private bool CompleteMessage(ClientConnection connection, ref ReceiveState state)
    {
        var type = state.MessageOpcode == Opcode.Text ? WebSocketMessageType.Text : WebSocketMessageType.Binary;
        var discarding = state.Discarding;
        var payload = state.Payload;
        state.EndMessage();
        if (discarding)
        {
            // We asked the peer to close; its messages are dropped until its close frame arrives.
            return true;
        }

        if (type == WebSocketMessageType.Text && !Utf8.IsValid(payload))
        {
            return Fail(connection, CloseRequest.InvalidUtf8, ref state);
        }

        if (state.Json is { } json)
        {
            HandleJson(connection, json, payload, type);
        }
        else
        {
            Route(connection, Decode(connection, payload, type), ref state.UnroutedLogged);
        }

        state.ReleaseBuffer();
        return true;
    }

    /// <summary>Fails the connection (RFC 6455 section 7.1.7): the close goes out, nothing more is read.</summary>
    private bool Fail(ClientConnection connection, CloseRequest close, ref ReceiveState state)
    {
        metrics.ProtocolError();
        Log.ProtocolError(logger, connection.Id, close.Reason);
        connection.RequestClose(close, _closeTimeout);
        state.Discard();
        return false;
    }

    private void Lost(ClientConnection connection, string reason)
    {
        Log.ConnectionLost(logger, connection.Id, reason);
        connection.RequestClose(CloseRequest.Lost, _closeTimeout);
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

    private static ClientMessage Decode(ClientConnection connection, ReadOnlySpan<byte> payload, WebSocketMessageType type)
    {
        var message = new ClientMessage { ConnectionId = connection.Id, Topic = connection.MessageTopic };
        if (type == WebSocketMessageType.Binary)
        {
            message.Binary = ByteString.CopyFrom(payload);
        }
        else
        {
            // Validated as UTF-8 above.
            message.Text = Encoding.UTF8.GetString(payload);
        }

        return message;
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

    /// <summary>What the reader knows between reads: the message being assembled and the data frame being read.</summary>
    private struct ReceiveState(int limit, JsonSession? json)
    {
        public readonly int Limit = limit;
        public readonly JsonSession? Json = json;
        public bool UnroutedLogged;

        /// <summary>The opcode of the message in progress (text or binary), 0 between messages.</summary>
        public byte MessageOpcode;

        /// <summary>After a close was asked for: payloads are dropped, frames still parsed to find the peer's close.</summary>
        public bool Discarding;

        public long FrameRemaining;
        public bool FrameFin;

        // Held only while a message is arriving: an idle connection owns no receive buffer.
        private byte[]? _buffer;
        private uint _frameMask;
        private long _frameOffset;

        public int Count { get; private set; }

        public readonly ReadOnlySpan<byte> Payload => _buffer is null ? [] : _buffer.AsSpan(0, Count);

        public void StartFrame(in ClientFrameHeader header)
        {
            FrameRemaining = header.PayloadLength;
            FrameFin = header.Fin;
            _frameMask = header.MaskKey;
            _frameOffset = 0;
        }

        public void AppendPayload(in ReadOnlySequence<byte> bytes)
        {
            if (!Discarding)
            {
                // Within the limit (checked against the frame's declared length), so it fits an int.
                Reserve(Count + (int)bytes.Length);
                var destination = _buffer.AsSpan(Count, (int)bytes.Length);
                bytes.CopyTo(destination);
                FrameMask.Apply(destination, _frameMask, _frameOffset);
                Count += destination.Length;
            }

            _frameOffset += bytes.Length;
            FrameRemaining -= bytes.Length;
        }

        public void EndMessage()
        {
            MessageOpcode = 0;
            Count = 0;
        }

        public void Discard()
        {
            Discarding = true;
            Count = 0;
            ReleaseBuffer();
        }

        public void ReleaseBuffer()
        {
            if (_buffer is not null)
            {
                ArrayPool<byte>.Shared.Return(_buffer);
                _buffer = null;
            }
        }

        private void Reserve(int needed)
        {
            if (_buffer is not null && _buffer.Length >= needed)
            {
                return;
            }

            // Doubling from a small start, capped at the limit: a header that announces a large
            // message reserves nothing until its bytes arrive.
            var bigger = ArrayPool<byte>.Shared.Rent(Math.Max(needed, Math.Min(Math.Max(InitialBufferBytes, (_buffer?.Length ?? 0) * 2), Limit)));
            _buffer?.AsSpan(0, Count).CopyTo(bigger);
            ReleaseBuffer();
            _buffer = bigger;
        }
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
