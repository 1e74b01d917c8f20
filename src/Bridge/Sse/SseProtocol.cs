using System.Buffers;
using System.Buffers.Text;
using System.IO.Pipelines;
using System.Text;
using Bridge.Connections;
using Bridge.Topics;

namespace Bridge.Sse;

/// <summary>
/// One SSE stream's encoding and positions. Subscriptions are fixed at connect: each records
/// where the stream starts in its topic (the resumed position, or the current one) and queues the
/// replay or the latest value. Every positioned event then carries the positions of all the
/// stream's topics as its <c>id</c>, so the browser's <c>Last-Event-ID</c> resumes all of them.
/// </summary>
/// <remarks>Positions are written while subscribing (under each topic's gate, before the sender starts) and afterwards only by the sender loop.</remarks>
internal sealed class SseProtocol : ConnectionProtocol
{
    private static readonly byte[] IdField = "id: "u8.ToArray();
    private static readonly byte[] DataField = "data: "u8.ToArray();
    private static readonly byte[] BinaryEvent = "event: binary\n"u8.ToArray();

    private readonly string[] _topics;
    private readonly TopicPosition[] _positions;
    private readonly bool _idUnreadable;
    private readonly List<string> _unrecovered = [];

    /// <param name="topics">The stream's topics in id order (the broadcast topic last).</param>
    /// <param name="idUnreadable">The client sent an id the bridge cannot parse: every topic counts as not recovered.</param>
    public SseProtocol(string[] topics, bool idUnreadable)
    {
        _topics = topics;
        _positions = new TopicPosition[topics.Length];
        _idUnreadable = idUnreadable;
    }

    /// <summary>Topics whose requested position could not be recovered.</summary>
    public IReadOnlyList<string> Unrecovered => _unrecovered;

    public bool IdUnreadable => _idUnreadable;

    public override void OnSubscribed(ClientConnection connection, in SubscriptionStart start)
    {
        var index = Array.IndexOf(_topics, start.Request.Topic);
        if (start.Recovered == true)
        {
            _positions[index] = start.Request.Since!.Value;
            if (start.Replay.Length > 0)
            {
                connection.EnqueueReplay(start.Replay);
            }

            return;
        }

        _positions[index] = start.Current;
        if (start.Recovered == false || _idUnreadable)
        {
            _unrecovered.Add(start.Request.Topic);
        }

        if (start.Latest is { } latest)
        {
            connection.DeliverLatest(latest, start.Policy.SlowConsumer);
        }
    }

    public override OutboundFrame Frame(TopicMessage message, int skipped) =>
        throw new NotSupportedException("An SSE stream is written by SseStream, not as WebSocket frames.");

    /// <summary>Writes the current positions as an <c>id:</c> line.</summary>
    public void WriteId(PipeWriter writer)
    {
        writer.Write(IdField);
        for (var i = 0; i < _topics.Length; i++)
        {
            if (i > 0)
            {
                writer.Write(","u8);
            }

            WriteAscii(writer, _topics[i]);
            writer.Write("="u8);
            var span = writer.GetSpan(20);
            Utf8Formatter.TryFormat(_positions[i].Sequence, span, out var written);
            writer.Advance(written);
            writer.Write("."u8);
            WriteAscii(writer, _positions[i].Epoch);
        }

        writer.Write("\n"u8);
    }

    /// <summary>Writes one update as an event: positioned updates advance the stream's position and carry the id.</summary>
    public void WriteEvent(PipeWriter writer, TopicMessage message)
    {
        var frame = message.Frame;
        if (!frame.IsText)
        {
            writer.Write(BinaryEvent);
        }

        if (!message.IsDirect)
        {
            var index = Array.IndexOf(_topics, message.Topic);
            if (index >= 0)
            {
                _positions[index] = new TopicPosition(message.Sequence, message.Epoch);
            }

            WriteId(writer);
        }

        if (frame.IsText)
        {
            WriteDataLines(writer, frame.Payload);
        }
        else
        {
            writer.Write(DataField);
            var payload = frame.Payload;
            var span = writer.GetSpan(Base64.GetMaxEncodedToUtf8Length(payload.Length));
            Base64.EncodeToUtf8(payload, span, out _, out var written);
            writer.Advance(written);
            writer.Write("\n"u8);
        }

        writer.Write("\n"u8);
    }

    /// <summary>One <c>data:</c> line per line of text; SSE reads CR, LF and CRLF as line ends.</summary>
    private static void WriteDataLines(PipeWriter writer, ReadOnlySpan<byte> text)
    {
        while (true)
        {
            writer.Write(DataField);
            var end = text.IndexOfAny((byte)'\r', (byte)'\n');
            if (end < 0)
            {
                writer.Write(text);
                writer.Write("\n"u8);
                return;
            }

            writer.Write(text[..end]);
            writer.Write("\n"u8);
            var next = text[end] == '\r' && end + 1 < text.Length && text[end + 1] == '\n' ? end + 2 : end + 1;
            text = text[next..];
        }
    }

    private static void WriteAscii(PipeWriter writer, string value)
    {
        var span = writer.GetSpan(value.Length);
        var written = Encoding.ASCII.GetBytes(value, span);
        writer.Advance(written);
    }
}
