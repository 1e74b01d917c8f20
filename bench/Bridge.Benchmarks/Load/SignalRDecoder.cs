using System.Text;

namespace Bridge.Benchmarks.Load;

/// <summary>
/// SignalR's JSON hub protocol: a message holds one or more records, each ended by 0x1E. An
/// invocation <c>{"type":1,"target":"m","arguments":["payload"]}</c> carries one payload; pings
/// (<c>{"type":6}</c>) and the handshake answer (<c>{}</c>) carry none; a close (<c>type 7</c>) is an error.
/// </summary>
internal sealed class SignalRDecoder : MessageDecoder
{
    public const byte RecordSeparator = 0x1E;

    public static readonly SignalRDecoder Instance = new();

    /// <summary>The handshake a client sends first.</summary>
    public static readonly byte[] Handshake = Encoding.ASCII.GetBytes("{\"protocol\":\"json\",\"version\":1}\u001e");

    /// <summary>A ping, which clients send to stay within the server's client timeout.</summary>
    public static readonly byte[] Ping = Encoding.ASCII.GetBytes("{\"type\":6}\u001e");

    private static ReadOnlySpan<byte> Arguments => "\"arguments\":[\""u8;
    private static ReadOnlySpan<byte> Invocation => "{\"type\":1,"u8;

    public override void Decode(Subscriber subscriber, ReadOnlySpan<byte> message, long now, DeliveryTracker tracker)
    {
        if (subscriber.PartialRecordLength > 0)
        {
            // A record split across messages: join it (a rare path; it allocates).
            var joined = new byte[subscriber.PartialRecordLength + message.Length];
            subscriber.PartialRecord.AsSpan(0, subscriber.PartialRecordLength).CopyTo(joined);
            message.CopyTo(joined.AsSpan(subscriber.PartialRecordLength));
            subscriber.PartialRecordLength = 0;
            DecodeRecords(subscriber, joined, now, tracker);
            return;
        }

        DecodeRecords(subscriber, message, now, tracker);
    }

    private static void DecodeRecords(Subscriber subscriber, ReadOnlySpan<byte> message, long now, DeliveryTracker tracker)
    {
        while (!message.IsEmpty)
        {
            var end = message.IndexOf(RecordSeparator);
            if (end < 0)
            {
                subscriber.PartialRecord = message.ToArray();
                subscriber.PartialRecordLength = message.Length;
                return;
            }

            DecodeRecord(subscriber, message[..end], now, tracker);
            message = message[(end + 1)..];
        }
    }

    private static void DecodeRecord(Subscriber subscriber, ReadOnlySpan<byte> record, long now, DeliveryTracker tracker)
    {
        if (record.StartsWith(Invocation))
        {
            var start = record.IndexOf(Arguments);
            if (start >= 0)
            {
                var argument = record[(start + Arguments.Length)..];
                var quote = argument.IndexOf((byte)'"');
                if (quote >= 0)
                {
                    tracker.Deliver(subscriber, argument[..quote], now);
                    return;
                }
            }
        }
        else if (record.SequenceEqual("{\"type\":6}"u8) || record.SequenceEqual("{}"u8))
        {
            return;
        }

        tracker.Fail($"subscriber {subscriber.Id}: unexpected SignalR record {Encoding.ASCII.GetString(record[..Math.Min(record.Length, 120)])}");
    }
}
