namespace Publisher.Sample.Syncing;

/// <summary>
/// How long to wait before the next reconnect: the ceiling doubles from the first delay up to the
/// maximum, and the wait is a random point in its upper half. The jitter keeps many backends from
/// reconnecting in the same instant after a bridge restart; the lower bound keeps a dead bridge from
/// being retried in a tight loop.
/// </summary>
internal sealed class ReconnectBackoff(TimeSpan firstDelay, TimeSpan maxDelay, Random random)
{
    private int _failures;

    public TimeSpan Next()
    {
        var ceiling = Math.Min(maxDelay.TotalMilliseconds, firstDelay.TotalMilliseconds * Math.Pow(2, _failures));
        _failures = Math.Min(_failures + 1, 62);
        return TimeSpan.FromMilliseconds(ceiling / 2 + random.NextDouble() * ceiling / 2);
    }

    /// <summary>Starts over from the first delay; called once a stream has worked again.</summary>
    public void Reset() => _failures = 0;
}
