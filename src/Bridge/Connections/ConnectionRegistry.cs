using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;
using Bridge.Diagnostics;
using Bridge.Topics;

namespace Bridge.Connections;

/// <summary>
/// The open connections of this process, by id. Joining and leaving (subscriptions plus the
/// CONNECTED/DISCONNECTED events) happen under one presence lock, which is also held while a new
/// publisher stream takes its snapshot: a stream sees every connection exactly once as CONNECTED
/// before any of its later events.
/// </summary>
internal sealed class ConnectionRegistry(TopicRegistry topics, IConnectionObserver observer, BridgeMetrics metrics)
{
    private readonly ConcurrentDictionary<string, ClientConnection> _byId = new(StringComparer.Ordinal);
    private readonly Lock _presence = new();

    /// <summary>Set by <see cref="CloseAll"/> (under the presence lock): connections added later are closed at once.</summary>
    private (CloseRequest Request, TimeSpan AbortAfter)? _closingAll;

    public int Count => _byId.Count;

    /// <summary>The open connections, enumerated live without a snapshot: for periodic sweeps over all of them.</summary>
    public IEnumerable<ClientConnection> Open
    {
        get
        {
            foreach (var pair in _byId)
            {
                yield return pair.Value;
            }
        }
    }

    /// <summary>Subscribes the connection to its topics and announces it.</summary>
    public void Add(ClientConnection connection)
    {
        lock (_presence)
        {
            _byId[connection.Id] = connection;
            foreach (var request in connection.TakeInitialSubscriptions())
            {
                // Admission checked names and counts; a repeated name cannot get here.
                if (connection.TryReserve(request.Topic, int.MaxValue) == SubscriptionSlot.Reserved)
                {
                    topics.Subscribe(connection, request);
                }
            }

            observer.OnConnected(connection);
            if (_closingAll is { } closing)
            {
                // Admitted just before shutdown began: it must not miss its 1001.
                connection.RequestClose(closing.Request, closing.AbortAfter);
            }
        }

        metrics.ConnectionOpened();
    }

    /// <summary>Unsubscribes the connection and announces that it left.</summary>
    public void Remove(ClientConnection connection)
    {
        lock (_presence)
        {
            if (!_byId.TryRemove(connection.Id, out _))
            {
                return;
            }

            foreach (var topic in connection.SubscribedTopics())
            {
                topics.Unsubscribe(connection, topic);
            }

            observer.OnDisconnected(connection);
        }

        metrics.ConnectionClosed();
    }

    /// <summary>Runs <paramref name="attach"/> and returns the open connections, atomically with respect to joins and leaves.</summary>
    public ClientConnection[] SnapshotWhile(Action attach)
    {
        lock (_presence)
        {
            attach();
            return [.. _byId.Values];
        }
    }

    public bool TryGet(string id, [NotNullWhen(true)] out ClientConnection? connection) => _byId.TryGetValue(id, out connection);

    /// <summary>Asks every open connection to close; used on shutdown.</summary>
    public void CloseAll(CloseRequest request, TimeSpan abortAfter)
    {
        lock (_presence)
        {
            _closingAll = (request, abortAfter);
            foreach (var connection in _byId.Values)
            {
                connection.RequestClose(request, abortAfter);
            }
        }
    }
}
