using System.Diagnostics.CodeAnalysis;
using Bridge.Topics;

namespace Bridge.Sse;

/// <summary>
/// The SSE event id: the stream's position in every topic it carries, as comma-separated
/// <c>topic=sequence.epoch</c> entries (the broadcast topic has an empty name). Topic names never
/// contain <c>=</c> or <c>,</c>, so the format needs no escaping.
/// </summary>
internal static class SseEventId
{
    /// <summary>The longest id a stream of up to <paramref name="maxTopics"/> topics (plus the broadcast topic) can have; longer ones are not read.</summary>
    public static int MaxLength(int maxTopics) => (maxTopics + 1) * (TopicName.MaxLength + 1 + 20 + 1 + TopicPosition.EpochLength + 1);

    public static bool TryParse(string id, int maxLength, [NotNullWhen(true)] out Dictionary<string, TopicPosition>? positions)
    {
        positions = null;
        if (id.Length == 0 || id.Length > maxLength)
        {
            return false;
        }

        var parsed = new Dictionary<string, TopicPosition>(StringComparer.Ordinal);
        foreach (var entry in id.Split(','))
        {
            var equals = entry.IndexOf('=', StringComparison.Ordinal);
            var dot = equals < 0 ? -1 : entry.IndexOf('.', equals + 1);
            if (dot < 0)
            {
                return false;
            }

            var topic = entry[..equals];
            var epoch = entry.AsSpan(dot + 1);
            if (!TopicName.IsValidOrBroadcast(topic, out _)
                || !ulong.TryParse(entry.AsSpan(equals + 1, dot - equals - 1), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var sequence)
                || !TopicPosition.IsEpochSyntax(epoch)
                || !parsed.TryAdd(topic, new TopicPosition(sequence, epoch.ToString())))
            {
                return false;
            }
        }

        positions = parsed;
        return true;
    }
}
