using System.Collections.Concurrent;
using Bridge.Connections;

namespace Bridge.Topics;

/// <summary>
/// The local registry of topics and their subscribed connections. Every connection is also a
/// subscriber of the broadcast topic "".
/// </summary>
/// <remarks>
/// A topic that has been published to is kept so its sequence stays monotonic for the life of the
/// process (bounded retention with epochs arrives with per-topic history). A topic that only
/// browsers named is removed when its last subscriber leaves, so browsers cannot grow memory by
/// subscribing to ever new names.
/// </remarks>
internal sealed class TopicRegistry
{
    private readonly ConcurrentDictionary<string, Topic> _topics = new(StringComparer.Ordinal);

    private readonly Action<Topic> _remove;

    public TopicRegistry()
    {
        _remove = topic => _topics.TryRemove(KeyValuePair.Create(topic.Name, topic));
    }

    /// <summary>How many topics are held (for tests and diagnostics).</summary>
    public int Count => _topics.Count;

    /// <summary>The topic's current state. It may be retired by the time its gate is taken: check <see cref="Topic.Retired"/> and look up again.</summary>
    public Topic GetOrAdd(string name) =>
        _topics.TryGetValue(name, out var topic) ? topic : _topics.GetOrAdd(name, static n => new Topic(n));

    /// <summary>Subscribes a connection to the broadcast topic and each of its topics.</summary>
    public void Subscribe(ClientConnection connection)
    {
        Add(TopicName.Broadcast, connection);
        foreach (var name in connection.Topics)
        {
            Add(name, connection);
        }
    }

    public void Unsubscribe(ClientConnection connection)
    {
        GetOrAdd(TopicName.Broadcast).Remove(connection);
        foreach (var name in connection.Topics)
        {
            if (_topics.TryGetValue(name, out var topic))
            {
                topic.Remove(connection);
                topic.TryRetire(_remove);
            }
        }
    }

    private void Add(string name, ClientConnection connection)
    {
        while (!GetOrAdd(name).TryAdd(connection))
        {
            // Retired between the lookup and the add; the next lookup creates a fresh topic.
        }
    }
}
