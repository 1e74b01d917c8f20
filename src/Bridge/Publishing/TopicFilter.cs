namespace Bridge.Publishing;

/// <summary>
/// The set of topics a publisher stream listens to. Immutable: a <c>Listen</c> swaps in a new one.
/// </summary>
internal sealed class TopicFilter
{
    /// <summary>Listens to everything: the default, and what an empty <c>Listen</c> asks for.</summary>
    public static readonly TopicFilter All = new([]);

    private readonly HashSet<string>? _topics;

    public TopicFilter(IReadOnlyCollection<string> topics)
    {
        Topics = [.. topics];
        _topics = topics.Count == 0 ? null : new HashSet<string>(topics, StringComparer.Ordinal);
    }

    /// <summary>The topics as the backend asked for them; empty means all.</summary>
    public IReadOnlyList<string> Topics { get; }

    public bool Matches(string topic) => _topics is null || _topics.Contains(topic);

    /// <summary>Whether a connection with these topics is in view; one with none counts as topic "".</summary>
    public bool MatchesAny(IReadOnlyList<string> topics)
    {
        if (_topics is null)
        {
            return true;
        }

        if (topics.Count == 0)
        {
            return _topics.Contains(string.Empty);
        }

        foreach (var topic in topics)
        {
            if (_topics.Contains(topic))
            {
                return true;
            }
        }

        return false;
    }
}
