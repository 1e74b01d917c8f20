using Bridge.Connections;

namespace Bridge.Topics;

/// <summary>
/// One topic's state: its stream position and its local subscribers.
/// </summary>
/// <remarks>
/// Thread-safety: every change happens under <see cref="Gate"/>. The subscriber array is
/// copy-on-write, so a publication that holds the gate sees a consistent set and assigning the
/// next sequence and queueing to the subscribers are one atomic step: a subscriber either gets
/// publication N or joined after it.
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

    public void Add(ClientConnection connection)
    {
        lock (Gate)
        {
            Subscribers = [.. Subscribers, connection];
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
