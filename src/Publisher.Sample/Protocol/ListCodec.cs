using System.Diagnostics.CodeAnalysis;
using System.Text.Encodings.Web;
using System.Text.Json;
using Publisher.Sample.Lists;

namespace Publisher.Sample.Protocol;

/// <summary>Turns browser text into <see cref="ListEdit"/>s and list states and errors into browser text.</summary>
internal static class ListCodec
{
    // Relaxed escaping keeps quotes and non-ASCII text readable in the browser; safe because the
    // text is read with JSON.parse, never pasted into HTML.
    private static readonly SampleJsonContext Json = new(new JsonSerializerOptions
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    });

    public static bool TryParseEdit(string text, [NotNullWhen(true)] out ListEdit? edit, [NotNullWhen(false)] out string? error)
    {
        edit = null;
        EditMessage? message;
        try
        {
            message = JsonSerializer.Deserialize(text, Json.EditMessage);
        }
        catch (JsonException)
        {
            // The exception's message describes the browser's input; a fixed one keeps that out of replies and logs.
            error = "not a JSON edit with string fields, such as {\"op\":\"add\",\"text\":\"milk\"}";
            return false;
        }

        (edit, error) = message?.Op switch
        {
            null => (null, "missing \"op\": use add, toggle, remove or clear"),
            "add" when message.Text is null => (null, "add needs \"text\""),
            "add" => (new ListEdit(ListEditKind.Add, message.Text), null),
            "toggle" or "remove" when message.Id is null => (null, $"{message.Op} needs \"id\""),
            "toggle" => (new ListEdit(ListEditKind.Toggle, message.Id), null),
            "remove" => (new ListEdit(ListEditKind.Remove, message.Id), null),
            "clear" => (new ListEdit(ListEditKind.Clear, string.Empty), null),
            _ => ((ListEdit?)null, "unknown \"op\": use add, toggle, remove or clear"),
        };
        return edit is not null;
    }

    public static string State(ListSnapshot snapshot) =>
        JsonSerializer.Serialize(StateMessage.From(snapshot), Json.StateMessage);

    public static string Error(string message) =>
        JsonSerializer.Serialize(ErrorMessage.From(message), Json.ErrorMessage);
}
