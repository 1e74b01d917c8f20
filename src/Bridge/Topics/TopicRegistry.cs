using System.Collections.Concurrent;
using Bridge.Connections;

namespace Bridge.Topics;

/// <summary>
/// The local registry of topics and their subscribed connections. Every connection is also a
/// subscriber of the broadcast topic "".
/// </summary>
/// <remarks>
/// Topics are kept once created so their sequences stay monotonic for the life of the process;
/// bounded retention with epochs arrives with per-topic history.
/// </remarks>
internal sealed class TopicRegistry
{
    private readonly ConcurrentDictionary<string, Topic> _topics = new(StringComparer.Ordinal);

    public Topic GetOrAdd(string name) =>
        _topics.TryGetValue(name, out var topic) ? topic : _topics.GetOrAdd(name, static n => new Topic(n));

    /// <summary>Subscribes a connection to the broadcast topic and each of its topics.</summary>
    public void Subscribe(ClientConnection connection)
    {
        GetOrAdd(TopicName.Broadcast).Add(connection);
        foreach (var name in connection.Topics)
        {
            GetOrAdd(name).Add(connection);
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
            }
        }
    }
}
