using System.Buffers.Text;
using System.Text;

namespace Bridge.Benchmarks.Load;

/// <summary>
/// Reads the bridge's Server-Sent Events out of whatever one read returned, without allocating per
/// event: first the chunked transfer coding (chunk-size lines, data, CRLF; a chunk may end anywhere
/// in an event), then the event stream (lines ended by LF or CRLF; <c>data</c> lines joined by LF,
/// <c>event</c> names the event, comments such as heartbeats and <c>id</c>/<c>retry</c> are skipped;
/// a blank line dispatches). The stream must open with the <c>welcome</c> event; every later event
/// must be an unnamed one, whose data is one payload. An event's data is delivered where it was
/// read when the whole event came in one piece, else from the stream state's copy.
/// </summary>
internal sealed class SseReader(DeliveryTracker tracker) : IStreamReader
{
    /// <summary>Longer chunk-size lines are refused (Kestrel's are a few hex digits).</summary>
    private const int MaxSizeLine = 64;

    public int Consume(Subscriber subscriber, ReadOnlySpan<byte> data, long now)
    {
        var stream = subscriber.Sse ?? throw new InvalidOperationException($"subscriber {subscriber.Id} is not an SSE stream");
        if (!stream.Chunked)
        {
            OnBody(subscriber, stream, data, now);
            return data.Length;
        }

        var position = 0;
        while (position < data.Length && subscriber.EndReason is null)
        {
            switch (stream.Part)
            {
                case ChunkPart.Size:
                    var rest = data[position..];
                    var end = rest.IndexOf("\r\n"u8);
                    if (end < 0)
                    {
                        if (rest.Length > MaxSizeLine)
                        {
                            End(subscriber, $"a chunk-size line longer than {MaxSizeLine} bytes");
                        }

                        return subscriber.EndReason is null ? position : data.Length;
                    }

                    if (!TryParseChunkSize(rest[..end], out var size))
                    {
                        End(subscriber, $"a bad chunk-size line \"{Encoding.ASCII.GetString(rest[..Math.Min(end, MaxSizeLine)])}\"");
                        break;
                    }

                    position += end + 2;
                    if (size == 0)
                    {
                        End(subscriber, "the server ended the event stream (last chunk)");
                        break;
                    }

                    stream.ChunkLeft = size;
                    stream.Part = ChunkPart.Data;
                    break;

                case ChunkPart.Data:
                    var take = (int)Math.Min(stream.ChunkLeft, data.Length - position);
                    OnBody(subscriber, stream, data.Slice(position, take), now);
                    position += take;
                    stream.ChunkLeft -= take;
                    if (stream.ChunkLeft == 0)
                    {
                        stream.Part = ChunkPart.DataEnd;
                    }

                    break;

                default:
                    if (data.Length - position < 2)
                    {
                        return position;
                    }

                    if (data[position] != '\r' || data[position + 1] != '\n')
                    {
                        End(subscriber, "chunk data not followed by CRLF");
                        break;
                    }

                    position += 2;
                    stream.Part = ChunkPart.Size;
                    break;
            }
        }

        return subscriber.EndReason is null ? position : data.Length;
    }

    public void End(Subscriber subscriber, string reason)
    {
        if (subscriber.EndReason is null)
        {
            subscriber.EndReason = reason;
            tracker.Fail($"subscriber {subscriber.Id}: {reason}");
        }
    }

    /// <summary>Parses the event stream's bytes in <paramref name="piece"/> (de-chunked), keeping what is unfinished in the stream state.</summary>
    private void OnBody(Subscriber subscriber, SseStreamState stream, ReadOnlySpan<byte> piece, long now)
    {
        // The event's data while it is still in `piece`; copied into the stream state if the event goes on past it.
        ReadOnlySpan<byte> data = default;
        var dataInPlace = false;
        while (!piece.IsEmpty && subscriber.EndReason is null)
        {
            var newline = piece.IndexOf((byte)'\n');
            if (newline < 0)
            {
                stream.AppendLine(piece);
                break;
            }

            var inPlace = stream.LineLength == 0;
            ReadOnlySpan<byte> line;
            if (inPlace)
            {
                line = piece[..newline];
            }
            else
            {
                stream.AppendLine(piece[..newline]);
                line = stream.Line;
            }

            piece = piece[(newline + 1)..];
            if (!line.IsEmpty && line[^1] == '\r')
            {
                line = line[..^1];
            }

            if (line.IsEmpty)
            {
                Dispatch(subscriber, stream, dataInPlace ? data : stream.Data, dataInPlace || stream.HasData, now);
                dataInPlace = false;
                stream.ResetEvent();
            }
            else if (line[0] != ':')
            {
                // A field (a line starting with ':' is a comment: the heartbeat).
                var colon = line.IndexOf((byte)':');
                var name = colon < 0 ? line : line[..colon];
                var value = colon < 0 ? default : line[(colon + 1)..];
                if (!value.IsEmpty && value[0] == ' ')
                {
                    value = value[1..];
                }

                if (name.SequenceEqual("data"u8))
                {
                    if (inPlace && !dataInPlace && !stream.HasData)
                    {
                        data = value;
                        dataInPlace = true;
                    }
                    else
                    {
                        // Rare: a second data line, or one that was split.
                        if (dataInPlace)
                        {
                            stream.AppendData(data);
                            stream.HasData = true;
                            dataInPlace = false;
                        }

                        if (stream.HasData)
                        {
                            stream.AppendData("\n"u8);
                        }

                        stream.AppendData(value);
                        stream.HasData = true;
                    }
                }
                else if (name.SequenceEqual("event"u8))
                {
                    stream.EventName = value.SequenceEqual("message"u8) ? null : value.SequenceEqual("welcome"u8) ? "welcome" : Encoding.UTF8.GetString(value);
                }
            }

            stream.LineLength = 0;
        }

        if (dataInPlace)
        {
            stream.AppendData(data);
            stream.HasData = true;
        }
    }

    private void Dispatch(Subscriber subscriber, SseStreamState stream, ReadOnlySpan<byte> data, bool hasData, long now)
    {
        if (!hasData)
        {
            // An event without data is not dispatched (the HTML standard's rule).
            return;
        }

        switch (stream.EventName)
        {
            case null when stream.Welcomed:
                tracker.Deliver(subscriber, data, now);
                break;

            case "welcome" when !stream.Welcomed:
                stream.Welcomed = true;
                subscriber.Ready = true;
                break;

            default:
                tracker.Fail($"subscriber {subscriber.Id}: unexpected {(stream.Welcomed ? "" : "first ")}event '{stream.EventName ?? "message"}': {Encoding.UTF8.GetString(data[..Math.Min(data.Length, 120)])}");
                break;
        }
    }

    private static bool TryParseChunkSize(ReadOnlySpan<byte> line, out long size)
    {
        var extension = line.IndexOf((byte)';');
        var digits = (extension < 0 ? line : line[..extension]).Trim(" \t"u8);
        size = 0;
        if (digits.Length is 0 or > 15 || !Utf8Parser.TryParse(digits, out ulong value, out var used, 'X') || used != digits.Length)
        {
            return false;
        }

        size = (long)value;
        return true;
    }
}
