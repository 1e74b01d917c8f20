using Bridge.V1;

namespace Bridge.Benchmarks.Publishers;

/// <summary>
/// Checks and counts the bridge's acks, whichever client received them: in order, consecutive
/// sequences, no error, the expected number of recipients.
/// </summary>
internal sealed class AckChecker : IDisposable
{
    private readonly SemaphoreSlim _signal = new(0);
    private long _acked;
    private ulong _lastSequence;

    public PublisherErrors Errors { get; } = new();

    /// <summary>Recipients every ack must report; -1 to not check.</summary>
    public int ExpectedRecipients { get; set; } = -1;

    public long Acked => Volatile.Read(ref _acked);

    public void OnAck(Ack ack)
    {
        if (ack.Error.Length > 0)
        {
            Errors.Add($"update rejected: {ack.Error}");
        }
        else if (_lastSequence != 0 && ack.Sequence != _lastSequence + 1)
        {
            Errors.Add($"ack out of order: sequence {ack.Sequence} after {_lastSequence}");
        }
        else if (ExpectedRecipients >= 0 && ack.Recipients != ExpectedRecipients)
        {
            Errors.Add($"ack {ack.Sequence}: queued to {ack.Recipients} connection(s), expected {ExpectedRecipients}");
        }

        _lastSequence = ack.Sequence;
        Interlocked.Increment(ref _acked);
        _signal.Release();
    }

    /// <summary>Wakes whoever waits for acks (the stream ended, or failed).</summary>
    public void Wake() => _signal.Release();

    /// <summary>Waits until at least <paramref name="count"/> acks have arrived, an error, or <paramref name="ended"/>.</summary>
    public async Task<bool> WaitForAcksAsync(long count, TimeSpan timeout, Func<bool> ended, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (Acked < count)
        {
            var left = deadline - DateTime.UtcNow;
            if (left <= TimeSpan.Zero || Errors.Count > 0 || ended())
            {
                return Acked >= count;
            }

            await _signal.WaitAsync(left < TimeSpan.FromMilliseconds(100) ? left : TimeSpan.FromMilliseconds(100), cancellationToken);
        }

        return true;
    }

    public void Dispose() => _signal.Dispose();
}
