using System.Diagnostics.CodeAnalysis;

namespace Bridge.Topics;

/// <summary>
/// A configuration pattern naming topics: an exact name, a prefix ending in <c>*</c>
/// (<c>prices.*</c>), or <c>*</c> for every topic including the broadcast topic.
/// </summary>
internal static class TopicPattern
{
    public static bool IsValid(string pattern, [NotNullWhen(false)] out string? error)
    {
        if (pattern == "*")
        {
            error = null;
            return true;
        }

        var name = pattern.EndsWith('*') ? pattern[..^1] : pattern;
        if (!TopicName.IsValid(name, out var nameError))
        {
            error = "must be a topic name, a topic prefix followed by *, or *: " + nameError;
            return false;
        }

        error = null;
        return true;
    }

    public static bool Matches(string pattern, string topic) =>
        pattern == "*" || (pattern.EndsWith('*') ? topic.StartsWith(pattern.AsSpan(0, pattern.Length - 1), StringComparison.Ordinal) : topic == pattern);
}
