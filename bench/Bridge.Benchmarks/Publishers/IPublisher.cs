namespace Bridge.Benchmarks.Publishers;

/// <summary>
/// The one publisher of a scenario, speaking the server's own publishing protocol. Calls are
/// sequential: one <see cref="PublishAsync"/> at a time.
/// </summary>
internal interface IPublisher : IAsyncDisposable
{
    /// <summary>
    /// Publishes message <paramref name="index"/>, stamped with the time of this call; completes
    /// when the transport has taken it (not when it was delivered).
    /// </summary>
    ValueTask PublishAsync(long index, CancellationToken cancellationToken);

    /// <summary>
    /// Waits until the server has answered every message published so far, where the protocol
    /// answers (gRPC acks, HTTP responses); returns whether it did within <paramref name="timeout"/>.
    /// </summary>
    Task<bool> DrainAsync(TimeSpan timeout);

    /// <summary>What went wrong on the publishing side (bad acks, error statuses, a dropped connection).</summary>
    IReadOnlyCollection<string> Errors { get; }
}
