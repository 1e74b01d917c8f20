using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;
using Bridge.Connections;
using Bridge.Topics;

namespace Bridge.Protocol;

/// <summary>
/// The server → client envelopes of the <c>bridge.v1.json</c> subprotocol (docs/protocol.md), each
/// built as one complete text frame. A <c>message</c> envelope is built once per update and shared
/// by every JSON subscriber (<see cref="TopicMessage.JsonFrame"/>); the rest belong to one connection.
/// </summary>
internal static class JsonEnvelopes
{
    public const string Subprotocol = "bridge.v1.json";

    /// <summary><see cref="Subprotocol"/> as it goes on the wire.</summary>
    public static ReadOnlySpan<byte> SubprotocolUtf8 => "bridge.v1.json"u8;

    // Payload text is copied as is (no \\uXXXX for non-ASCII): these frames never go into HTML.
    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, SkipValidation = true };

    public static OutboundFrame Message(TopicMessage message, int skipped) => Build(writer =>
    {
        writer.WriteString("type", "message");
        writer.WriteString("topic", message.Topic);
        if (!message.IsDirect)
        {
            writer.WriteNumber("sequence", message.Sequence);
            writer.WriteString("epoch", message.Epoch);
        }

        var frame = message.Frame;
        if (frame.IsText)
        {
            writer.WriteString("data", frame.Payload);
        }
        else
        {
            writer.WriteBase64String("data", frame.Payload);
            writer.WriteString("encoding", "base64");
        }

        if (skipped > 0)
        {
            writer.WriteNumber("skipped", skipped);
        }
    });

    public static OutboundFrame Welcome(string connectionId) => Build(writer =>
    {
        writer.WriteString("type", "welcome");
        writer.WriteString("connectionId", connectionId);
    });

    public static OutboundFrame Subscribed(in SubscriptionStart start)
    {
        var (request, current, recovered) = (start.Request, start.Current, start.Recovered);
        return Build(writer =>
        {
            writer.WriteString("type", "subscribed");
            WriteId(writer, request.RequestId);
            writer.WriteString("topic", request.Topic);
            writer.WriteNumber("sequence", current.Sequence);
            writer.WriteString("epoch", current.Epoch);
            if (recovered is { } value)
            {
                writer.WriteBoolean("recovered", value);
            }
        });
    }

    public static OutboundFrame Unsubscribed(string? id, string topic) => Answer("unsubscribed", id, topic);

    public static OutboundFrame Published(string? id, string topic) => Answer("published", id, topic);

    public static OutboundFrame Pong(string? id) => Answer("pong", id, topic: null);

    public static OutboundFrame Error(string? id, string code, string message) => Build(writer =>
    {
        writer.WriteString("type", "error");
        WriteId(writer, id);
        writer.WriteString("code", code);
        writer.WriteString("message", message);
    });

    private static OutboundFrame Answer(string type, string? id, string? topic) => Build(writer =>
    {
        writer.WriteString("type", type);
        WriteId(writer, id);
        if (topic is not null)
        {
            writer.WriteString("topic", topic);
        }
    });

    /// <param name="writer">The envelope being written.</param>
    /// <param name="id">The request's id as it arrived (a JSON string or number token), echoed unchanged.</param>
    private static void WriteId(Utf8JsonWriter writer, string? id)
    {
        if (id is not null)
        {
            writer.WritePropertyName("id");
            writer.WriteRawValue(id, skipInputValidation: true);
        }
    }

    private static OutboundFrame Build(Action<Utf8JsonWriter> writeProperties)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer, WriterOptions))
        {
            writer.WriteStartObject();
            writeProperties(writer);
            writer.WriteEndObject();
        }

        return OutboundFrame.Utf8Text(buffer.WrittenSpan);
    }
}
