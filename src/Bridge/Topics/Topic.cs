using Bridge.Connections;

namespace Bridge.Topics;

/// <summary>
/// One topic's state: its stream position and its local subscribers.
/// </summary>
/// <remarks>
/// Thread-safety: every change happens under <see cref="Gate"/>. The subscriber array is
/// copy-on-write, so a publication that holds the gate sees a consistent set and assigning the
/// next sequence and queueing to the subscribers are one atomic step: a subscriber either gets
/// publication N or joined after it. A topic that lost its last subscriber without ever being
/// published to is retired (removed from the registry); whoever holds a retired instance looks
/// the topic up again.
/// </remarks>
internal sealed class Topic(string name)
{
    public string Name { get; } = name;

    /// <summary>Lock for sequence assignment, fan-out and subscriber changes.</summary>
    public Lock Gate { get; } = new();

    /// <summary>The sequence of the last accepted publication; 0 before the first.</summary>
    public ulong LastSequence { get; set; }

    /// <summary>The current subscribers; replaced, never mutated.</summary>
    public ClientConnection[] Subscribers { get; private set; } = [];

    /// <summary>Set, under <see cref="Gate"/>, once the topic was removed from its registry.</summary>
    public bool Retired { get; private set; }

    /// <returns>False if the topic was retired and the caller must look it up again.</returns>
    public bool TryAdd(ClientConnection connection)
    {
        lock (Gate)
        {
            if (Retired)
            {
                return false;
            }

            Subscribers = [.. Subscribers, connection];
            return true;
        }
    }

    /// <summary>Retires the topic if nobody subscribes and nothing was ever published to it.</summary>
    public bool TryRetire(Action<Topic> removeFromRegistry)
    {
        lock (Gate)
        {
            if (Retired || Subscribers.Length > 0 || LastSequence > 0)
            {
                return false;
            }

            Retired = true;
            removeFromRegistry(this);
            return true;
        }
    }

    public void Remove(ClientConnection connection)
    {
        lock (Gate)
        {
            var current = Subscribers;
            var index = Array.IndexOf(current, connection);
            if (index < 0)
            {
                return;
            }

            var next = new ClientConnection[current.Length - 1];
            Array.Copy(current, 0, next, 0, index);
            Array.Copy(current, index + 1, next, index, current.Length - index - 1);
            Subscribers = next;
        }
    }
}
