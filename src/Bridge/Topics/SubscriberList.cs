namespace Bridge.Topics;

/// <summary>
/// A topic's local subscribers (<typeparamref name="T"/> is a connection; generic only so it can
/// be tested alone): an array that grows and shrinks by doubling, changed in place under the
/// topic's gate. Joining costs no allocation beyond the occasional doubling — a copy-on-write
/// array allocated a copy of every subscriber per join, tens of kilobytes of garbage per
/// connection on a topic with thousands of subscribers.
/// </summary>
/// <remarks>Not thread-safe: the owning <see cref="Topic"/> uses it only under its gate. Fan-out order is not kept.</remarks>
internal sealed class SubscriberList<T>
    where T : class
{
    private const int MinimumCapacity = 4;

    private T[] _items = [];
    private int _count;

    public int Count => Volatile.Read(ref _count);

    /// <summary>Slots allocated now.</summary>
    public int Capacity => _items.Length;

    /// <summary>The subscribers now; valid until the next change.</summary>
    public ReadOnlySpan<T> AsSpan() => _items.AsSpan(0, _count);

    public void Add(T connection)
    {
        if (_count == _items.Length)
        {
            Resize(Math.Max(MinimumCapacity, _items.Length * 2));
        }

        _items[_count] = connection;
        Volatile.Write(ref _count, _count + 1);
    }

    /// <returns>Whether <paramref name="connection"/> was a subscriber.</returns>
    public bool Remove(T connection)
    {
        var index = Array.IndexOf(_items, connection, 0, _count);
        if (index < 0)
        {
            return false;
        }

        var last = _count - 1;
        _items[index] = _items[last];
        _items[last] = null!;
        Volatile.Write(ref _count, last);

        // Give memory back after a crowd leaves, with slack so joins and leaves around a boundary do not resize each time.
        if (_items.Length > MinimumCapacity && last < _items.Length / 4)
        {
            Resize(Math.Max(MinimumCapacity, _items.Length / 2));
        }

        return true;
    }

    private void Resize(int capacity)
    {
        var resized = new T[capacity];
        Array.Copy(_items, resized, _count);
        _items = resized;
    }
}
