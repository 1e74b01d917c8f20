using System.Text.Json;

namespace Bridge.Tests.Sample;

/// <summary>A frame from Publisher.Sample as a test reads it: a list state, an error reply, or something else.</summary>
internal sealed record ListFrame(string Type, long Version, IReadOnlyList<ListFrame.Item> Items, string? Message, string Text)
{
    public bool IsState => Type == "list";

    public bool IsError => Type == "error";

    public IEnumerable<string> Texts => Items.Select(item => item.Text);

    public Item Find(string text) => Items.Single(item => item.Text == text);

    /// <summary>Parses a text frame; anything that is not a well-formed sample message gets type "".</summary>
    public static ListFrame Parse(string text)
    {
        try
        {
            using var document = JsonDocument.Parse(text);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("type", out var type) || type.ValueKind != JsonValueKind.String)
            {
                return new ListFrame(string.Empty, 0, [], null, text);
            }

            var items = root.TryGetProperty("items", out var array)
                ? array.EnumerateArray().Select(i => new Item(i.GetProperty("id").GetString()!, i.GetProperty("text").GetString()!, i.GetProperty("done").GetBoolean())).ToArray()
                : [];
            var version = root.TryGetProperty("version", out var v) ? v.GetInt64() : 0;
            var message = root.TryGetProperty("message", out var m) ? m.GetString() : null;
            return new ListFrame(type.GetString()!, version, items, message, text);
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException or KeyNotFoundException or FormatException)
        {
            // Malformed JSON, or a field of the wrong kind: not a frame the sample should send.
            return new ListFrame(string.Empty, 0, [], null, text);
        }
    }

    public sealed record Item(string Id, string Text, bool Done);
}
