namespace Bridge.Publishing;

/// <summary>What became of a browser message or event offered to one publisher stream.</summary>
internal enum Delivery
{
    /// <summary>The stream's filter does not include it.</summary>
    NotListening,

    /// <summary>Queued for the stream.</summary>
    Queued,

    /// <summary>The stream listens but its queue is full (or it is ending): dropped and counted.</summary>
    Dropped,
}
