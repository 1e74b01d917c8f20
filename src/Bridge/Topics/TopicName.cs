using System.Diagnostics.CodeAnalysis;

namespace Bridge.Topics;

/// <summary>
/// The topic naming rule: 1–128 characters of <c>A–Z a–z 0–9 _ . : -</c>, case-sensitive.
/// Dots separate segments (configuration patterns will use <c>*</c> for one segment, so it is
/// not allowed in a name). The empty string is the broadcast topic, valid only where a caller allows it.
/// </summary>
internal static class TopicName
{
    public const int MaxLength = 128;

    /// <summary>The broadcast topic: an update on it reaches every connection.</summary>
    public const string Broadcast = "";

    /// <summary>Checks a topic name; <paramref name="error"/> says precisely what is wrong.</summary>
    public static bool IsValid(string name, [NotNullWhen(false)] out string? error)
    {
        if (name.Length == 0)
        {
            error = "topic is empty";
            return false;
        }

        if (name.Length > MaxLength)
        {
            error = $"topic is {name.Length} characters long; the limit is {MaxLength}";
            return false;
        }

        for (var i = 0; i < name.Length; i++)
        {
            if (!IsAllowed(name[i]))
            {
                error = $"topic '{Printable(name)}' has an invalid character at position {i + 1}; allowed are A-Z a-z 0-9 _ . : -";
                return false;
            }
        }

        error = null;
        return true;
    }

    /// <summary>Like <see cref="IsValid"/>, but also accepts the broadcast topic "".</summary>
    public static bool IsValidOrBroadcast(string name, [NotNullWhen(false)] out string? error)
    {
        if (name.Length == 0)
        {
            error = null;
            return true;
        }

        return IsValid(name, out error);
    }

    private static bool IsAllowed(char c) =>
        char.IsAsciiLetterOrDigit(c) || c is '_' or '.' or ':' or '-';

    // Error messages echo the name; keep control characters and huge names out of them.
    private static string Printable(string name)
    {
        var shown = name.Length > MaxLength ? name[..MaxLength] + "…" : name;
        return string.Create(shown.Length, shown, static (span, s) =>
        {
            for (var i = 0; i < s.Length; i++)
            {
                span[i] = char.IsControl(s[i]) ? '?' : s[i];
            }
        });
    }
}
