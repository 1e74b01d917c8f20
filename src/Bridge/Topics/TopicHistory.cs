namespace Bridge.Topics;

/// <summary>
/// A topic's recent updates, oldest first, for resume: at most a fixed number, trimmed by age and
/// under memory pressure. The entries are always consecutive sequences ending at the topic's last
/// one, so "everything after position N" is either entirely here or not recoverable.
/// Not thread-safe: used under the topic's gate.
/// </summary>
internal sealed class TopicHistory(int capacity)
{
    private TopicMessage[] _ring = [];
    private int _start;

    public int Count { get; private set; }

    /// <summary>Slots allocated now (for tests: a trimmed history gives its array back).</summary>
    public int Allocated => _ring.Length;

    /// <summary>Estimated bytes held by the entries.</summary>
    public long Bytes { get; private set; }

    /// <summary>Appends an update, dropping the oldest beyond capacity; returns the change in <see cref="Bytes"/>.</summary>
    public long Append(TopicMessage message)
    {
        if (capacity == 0)
        {
            return 0;
        }

        var before = Bytes;
        if (Count == capacity)
        {
            RemoveOldest();
        }

        if (Count == _ring.Length)
        {
            Grow();
        }

        _ring[(_start + Count) % _ring.Length] = message;
        Count++;
        Bytes += message.RetainedBytes;
        return Bytes - before;
    }

    /// <summary>Drops entries accepted before <paramref name="cutoffTimestamp"/>; returns the change in <see cref="Bytes"/>.</summary>
    public long TrimOlderThan(long cutoffTimestamp)
    {
        var before = Bytes;
        while (Count > 0 && _ring[_start].Timestamp < cutoffTimestamp)
        {
            RemoveOldest();
        }

        ShrinkIfSparse();
        return Bytes - before;
    }

    /// <summary>Drops the oldest half (at least one entry); returns the change in <see cref="Bytes"/>.</summary>
    public long TrimOldestHalf()
    {
        var before = Bytes;
        for (var n = Math.Max(1, Count / 2); n > 0 && Count > 0; n--)
        {
            RemoveOldest();
        }

        ShrinkIfSparse();
        return Bytes - before;
    }

    /// <summary>The updates after <paramref name="since"/> up to <paramref name="last"/>, if all of them are still here.</summary>
    public bool TryGetAfter(ulong since, ulong last, out TopicMessage[] missed)
    {
        missed = [];
        if (since == last)
        {
            return true;
        }

        if (since > last || Count == 0 || _ring[_start].Sequence > since + 1)
        {
            return false;
        }

        var skip = (int)(since + 1 - _ring[_start].Sequence);
        missed = new TopicMessage[Count - skip];
        for (var i = 0; i < missed.Length; i++)
        {
            missed[i] = _ring[(_start + skip + i) % _ring.Length];
        }

        return true;
    }

    private void RemoveOldest()
    {
        Bytes -= _ring[_start].RetainedBytes;
        _ring[_start] = null!;
        _start = (_start + 1) % _ring.Length;
        Count--;
    }

    /// <summary>After trimming, gives back a ring that is mostly empty (an expired topic holds no array at all).</summary>
    private void ShrinkIfSparse()
    {
        if (Count == 0)
        {
            _ring = [];
            _start = 0;
        }
        else if (Count <= _ring.Length / 4)
        {
            Resize(Math.Max(4, Count * 2));
        }
    }

    private void Grow() =>
        // Start small: most topics hold a few entries, and a full-size ring per topic would cost
        // capacity × 8 bytes each even when empty.
        Resize(Math.Min(capacity, Math.Max(4, _ring.Length * 2)));

    private void Resize(int length)
    {
        var resized = new TopicMessage[length];
        for (var i = 0; i < Count; i++)
        {
            resized[i] = _ring[(_start + i) % _ring.Length];
        }

        _ring = resized;
        _start = 0;
    }
}
