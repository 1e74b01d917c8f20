using System.Net.WebSockets;
using System.Text.Json;
using Bridge.Configuration;
using Bridge.Diagnostics;
using Bridge.Protocol;
using Bridge.Topics;
using Bridge.V1;
using Google.Protobuf;
using Microsoft.Extensions.Options;

namespace Bridge.Connections;

/// <summary>
/// Handles the requests of a <c>bridge.v1.json</c> connection: subscribe (with resume), unsubscribe,
/// publish and ping. Every bad request gets an <c>error</c> envelope with a stable code and the
/// connection stays open; a connection drawing more than <see cref="MaxErrors"/> errors within
/// <see cref="ErrorWindow"/> is closed with 1008.
/// </summary>
internal sealed partial class JsonRequestHandler(
    TopicRegistry topics,
    IClientMessageSink sink,
    IOptions<BridgeOptions> options,
    TimeProvider time,
    BridgeMetrics metrics,
    ILogger<JsonRequestHandler> logger)
{
    public const int MaxErrors = 50;
    public static readonly TimeSpan ErrorWindow = TimeSpan.FromSeconds(10);
    private const int MaxIdLength = 64;

    /// <summary>Room in a request envelope for everything but a publish's data: type, id, topic, encoding, whitespace.</summary>
    private const int EnvelopeOverheadBytes = 1024;

    private static readonly JsonDocumentOptions DocumentOptions = new() { MaxDepth = 8 };

    private readonly int _maxTopics = options.Value.MaxTopicsPerConnection;
    private readonly int _maxMessageBytes = options.Value.MaxClientMessageBytes;
    private readonly TimeSpan _closeTimeout = options.Value.CloseTimeout;

    /// <summary>
    /// The largest request message accepted on a JSON connection: a publish whose payload is exactly
    /// <paramref name="maxClientMessageBytes"/> must fit even in base64, so that a bigger payload is
    /// refused with <c>payload_too_large</c> rather than by closing the connection with 1009.
    /// </summary>
    public static int MaxEnvelopeBytes(int maxClientMessageBytes) =>
        (int)Math.Min(int.MaxValue, 4L * ((maxClientMessageBytes + 2L) / 3) + EnvelopeOverheadBytes);

    /// <summary>Handles one complete message from the client.</summary>
    public void Handle(ClientConnection connection, JsonSession session, ReadOnlySpan<byte> payload, WebSocketMessageType type)
    {
        var failure = type == WebSocketMessageType.Text
            ? Dispatch(connection, payload)
            : new RequestError(null, "invalid_json", "expected a text message holding a JSON object; binary messages are not part of bridge.v1.json");
        if (failure is { } error)
        {
            Reject(connection, session, error);
        }
    }

    private RequestError? Dispatch(ClientConnection connection, ReadOnlySpan<byte> payload)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(payload.ToArray(), DocumentOptions);
        }
        catch (JsonException ex)
        {
            return new RequestError(null, "invalid_json", "the message is not valid JSON: " + ex.Message);
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return new RequestError(null, "invalid_json", "the message must be a JSON object");
            }

            string? id = null;
            if (root.TryGetProperty("id", out var idElement))
            {
                if (!IsValidId(idElement))
                {
                    return new RequestError(null, "invalid_field", $"id must be a string or a number of at most {MaxIdLength} characters");
                }

                id = idElement.GetRawText();
            }

            if (!root.TryGetProperty("type", out var typeElement) || typeElement.ValueKind != JsonValueKind.String)
            {
                return new RequestError(id, "unknown_type", "type is missing; expected one of subscribe, unsubscribe, publish, ping");
            }

            if (!TryGetString(typeElement, out var type))
            {
                return new RequestError(id, "invalid_field", "type is not a valid string (an unpaired surrogate escape?)");
            }

            return type switch
            {
                "subscribe" => Subscribe(connection, id, root),
                "unsubscribe" => Unsubscribe(connection, id, root),
                "publish" => Publish(connection, id, root),
                "ping" => Answer(connection, JsonEnvelopes.Pong(id)),
                var other => new RequestError(id, "unknown_type", $"unknown type '{other}'; expected one of subscribe, unsubscribe, publish, ping"),
            };
        }
    }

    private RequestError? Subscribe(ClientConnection connection, string? id, JsonElement root)
    {
        if (ReadTopic(id, root, out var topic) is { } topicError)
        {
            return topicError;
        }

        TopicPosition? since = null;
        if (root.TryGetProperty("since", out var sinceElement) && sinceElement.ValueKind != JsonValueKind.Null)
        {
            if (sinceElement.ValueKind != JsonValueKind.Object
                || !sinceElement.TryGetProperty("sequence", out var sequence) || sequence.ValueKind != JsonValueKind.Number || !sequence.TryGetUInt64(out var sequenceValue)
                || !sinceElement.TryGetProperty("epoch", out var epoch) || epoch.ValueKind != JsonValueKind.String)
            {
                return new RequestError(id, "invalid_field", "since must be an object {\"sequence\": a non-negative integer, \"epoch\": a string}");
            }

            if (!TryGetString(epoch, out var epochValue))
            {
                return new RequestError(id, "invalid_field", "since.epoch is not a valid string");
            }

            since = new TopicPosition(sequenceValue, epochValue);
        }

        switch (connection.TryReserve(topic, _maxTopics))
        {
            case SubscriptionSlot.AlreadySubscribed:
                return new RequestError(id, "already_subscribed", $"already subscribed to topic '{topic}'");
            case SubscriptionSlot.LimitReached:
                return new RequestError(id, "too_many_subscriptions", $"the limit of {_maxTopics} subscriptions per connection is reached (Bridge:MaxTopicsPerConnection)");
        }

        topics.Subscribe(connection, new SubscriptionRequest(topic, since, id));
        return null;
    }

    private RequestError? Unsubscribe(ClientConnection connection, string? id, JsonElement root)
    {
        if (ReadTopic(id, root, out var topic) is { } topicError)
        {
            return topicError;
        }

        if (!connection.Release(topic))
        {
            return new RequestError(id, "not_subscribed", $"not subscribed to topic '{topic}'");
        }

        // Removed under the topic's gate first, so nothing of the topic is queued after the answer.
        topics.Unsubscribe(connection, topic);
        connection.EnqueueEnvelope(JsonEnvelopes.Unsubscribed(id, topic), boundary: topic);
        return null;
    }

    private RequestError? Publish(ClientConnection connection, string? id, JsonElement root)
    {
        if (ReadTopic(id, root, out var topic) is { } topicError)
        {
            return topicError;
        }

        if (!root.TryGetProperty("data", out var data))
        {
            return new RequestError(id, "missing_field", "data is missing");
        }

        if (data.ValueKind != JsonValueKind.String)
        {
            return new RequestError(id, "invalid_field", "data must be a string (base64 with \"encoding\":\"base64\" for binary)");
        }

        var message = new ClientMessage { ConnectionId = connection.Id, Topic = topic };
        int size;
        if (root.TryGetProperty("encoding", out var encoding) && encoding.ValueKind != JsonValueKind.Null)
        {
            if (encoding.ValueKind != JsonValueKind.String || !encoding.ValueEquals("base64"))
            {
                return new RequestError(id, "invalid_field", "encoding must be \"base64\" when present");
            }

            if (!data.TryGetBytesFromBase64(out var bytes))
            {
                return new RequestError(id, "invalid_field", "data is not valid base64");
            }

            size = bytes.Length;
            message.Binary = ByteString.CopyFrom(bytes);
        }
        else
        {
            if (!TryGetString(data, out var text))
            {
                return new RequestError(id, "invalid_field", "data is not a valid string (an unpaired surrogate escape?)");
            }

            message.Text = text;
            size = System.Text.Encoding.UTF8.GetByteCount(message.Text);
        }

        if (size > _maxMessageBytes)
        {
            return new RequestError(id, "payload_too_large", $"payload is {size} bytes; the limit is {_maxMessageBytes} bytes (Bridge:MaxClientMessageBytes)");
        }

        metrics.ClientMessageReceived();
        if (sink.Dispatch(message) == 0)
        {
            metrics.ClientMessageUnrouted();
            return new RequestError(id, "no_listener", $"no backend listens to topic '{topic}'; the message was not delivered");
        }

        return Answer(connection, JsonEnvelopes.Published(id, topic));
    }

    /// <summary>A string of at most <see cref="MaxIdLength"/> characters (after unescaping), or a number written in at most that many.</summary>
    private static bool IsValidId(JsonElement id) => id.ValueKind switch
    {
        JsonValueKind.String => TryGetString(id, out var value) && value.Length <= MaxIdLength,
        JsonValueKind.Number => id.GetRawText().Length <= MaxIdLength,
        _ => false,
    };

    private static RequestError? ReadTopic(string? id, JsonElement root, out string topic)
    {
        topic = string.Empty;
        if (!root.TryGetProperty("topic", out var element))
        {
            return new RequestError(id, "missing_field", "topic is missing");
        }

        if (element.ValueKind != JsonValueKind.String)
        {
            return new RequestError(id, "invalid_field", "topic must be a string");
        }

        if (!TryGetString(element, out topic))
        {
            return new RequestError(id, "invalid_topic", "invalid topic: not a valid string");
        }

        return TopicName.IsValidOrBroadcast(topic, out var error) ? null : new RequestError(id, "invalid_topic", "invalid topic: " + error);
    }

    /// <summary>A JSON string's value; false for one that cannot be a .NET string (an unpaired surrogate escape such as \ud800).</summary>
    private static bool TryGetString(JsonElement element, out string value)
    {
        try
        {
            value = element.GetString()!;
            return true;
        }
        catch (InvalidOperationException)
        {
            value = string.Empty;
            return false;
        }
    }

    private static RequestError? Answer(ClientConnection connection, OutboundFrame envelope)
    {
        connection.EnqueueEnvelope(envelope);
        return null;
    }

    private void Reject(ClientConnection connection, JsonSession session, RequestError error)
    {
        metrics.RequestRejected();
        connection.EnqueueEnvelope(JsonEnvelopes.Error(error.Id, error.Code, error.Message));
        // A publish while no backend listens (say, one restarting) is not misbehaviour.
        if (error.Code != "no_listener" && session.CountError(time.GetTimestamp(), time) > MaxErrors)
        {
            Log.TooManyErrors(logger, connection.Id, MaxErrors, ErrorWindow.TotalSeconds);
            connection.RequestClose(CloseRequest.TooManyInvalidRequests, _closeTimeout);
        }
    }

    private readonly record struct RequestError(string? Id, string Code, string Message);

    private static partial class Log
    {
        [LoggerMessage(EventId = 130, Level = LogLevel.Information, Message = "Connection {ConnectionId} drew more than {MaxErrors} request errors within {WindowSeconds} s; closing it with 1008.")]
        public static partial void TooManyErrors(ILogger logger, string connectionId, int maxErrors, double windowSeconds);
    }
}

/// <summary>Per-connection state of the JSON subprotocol's receive side: the recent error count.</summary>
internal sealed class JsonSession
{
    private long _windowStart = long.MinValue;
    private int _errors;

    /// <summary>Counts one error; returns the errors in the current window.</summary>
    public int CountError(long now, TimeProvider time)
    {
        if (_windowStart == long.MinValue || time.GetElapsedTime(_windowStart, now) > JsonRequestHandler.ErrorWindow)
        {
            _windowStart = now;
            _errors = 0;
        }

        return ++_errors;
    }
}
