namespace Bridge.Benchmarks.Load;

/// <summary>
/// Where one subscriber's event stream stands between reads: in the chunked transfer coding (a
/// chunk-size line next, so many bytes of chunk data left, or the CRLF after them), the line it is
/// in the middle of, and the event being assembled. Only its receiver touches it.
/// </summary>
internal sealed class SseStreamState(bool chunked)
{
    /// <summary>Whether the response is chunked (Kestrel's answer is: no Content-Length); else the body is the stream.</summary>
    public bool Chunked { get; } = chunked;

    public ChunkPart Part { get; set; } = ChunkPart.Size;

    /// <summary>Bytes of the current chunk's data not read yet.</summary>
    public long ChunkLeft { get; set; }

    private byte[] _line = new byte[256];
    private byte[] _data = new byte[256];

    /// <summary>The start of a line that the last piece of data ended in (copied: rare, except for large events).</summary>
    public ReadOnlySpan<byte> Line => _line.AsSpan(0, LineLength);

    public int LineLength { get; set; }

    /// <summary>The event's data so far, when it could not be left where it was read (the line or the event was split).</summary>
    public ReadOnlySpan<byte> Data => _data.AsSpan(0, DataLength);

    public int DataLength { get; set; }

    /// <summary>Whether the event has a <c>data</c> field (possibly empty) in <see cref="Data"/>.</summary>
    public bool HasData { get; set; }

    /// <summary>The event's <c>event</c> field: null for an unnamed event (a message).</summary>
    public string? EventName { get; set; }

    /// <summary>Whether the <c>welcome</c> event came.</summary>
    public bool Welcomed { get; set; }

    public void AppendLine(ReadOnlySpan<byte> bytes) => LineLength = Append(ref _line, LineLength, bytes);

    public void AppendData(ReadOnlySpan<byte> bytes) => DataLength = Append(ref _data, DataLength, bytes);

    /// <summary>Forgets the event assembled so far (it was dispatched).</summary>
    public void ResetEvent()
    {
        DataLength = 0;
        HasData = false;
        EventName = null;
    }

    private static int Append(ref byte[] buffer, int length, ReadOnlySpan<byte> bytes)
    {
        if (length + bytes.Length > buffer.Length)
        {
            var grown = new byte[Math.Max(length + bytes.Length, 2 * buffer.Length)];
            buffer.AsSpan(0, length).CopyTo(grown);
            buffer = grown;
        }

        bytes.CopyTo(buffer.AsSpan(length));
        return length + bytes.Length;
    }
}

/// <summary>What comes next in a chunked body.</summary>
internal enum ChunkPart
{
    /// <summary>A chunk-size line: hex digits, optional extensions, CRLF.</summary>
    Size,

    /// <summary>Chunk data (<see cref="SseStreamState.ChunkLeft"/> bytes).</summary>
    Data,

    /// <summary>The CRLF that ends a chunk's data.</summary>
    DataEnd,
}
