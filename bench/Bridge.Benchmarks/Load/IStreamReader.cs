namespace Bridge.Benchmarks.Load;

/// <summary>
/// Turns what one read of a subscriber socket returned into deliveries: WebSocket frames
/// (<see cref="FrameReader"/>) or a chunked event stream (<see cref="SseReader"/>). Shared by both receivers.
/// </summary>
internal interface IStreamReader
{
    /// <summary>
    /// Consumes what it can of <paramref name="data"/> (the bytes the last read left, then the new
    /// ones); returns how many bytes it took. The rest is handed in again, with more, after the next read.
    /// </summary>
    int Consume(Subscriber subscriber, ReadOnlySpan<byte> data, long now);

    /// <summary>The connection ended: by the server, the end of the stream, or an error.</summary>
    void End(Subscriber subscriber, string reason);
}
