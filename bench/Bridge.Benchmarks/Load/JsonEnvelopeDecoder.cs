using System.Text;

namespace Bridge.Benchmarks.Load;

/// <summary>
/// The bridge's JSON subprotocol <c>bridge.v1.json</c>: on <c>welcome</c> the subscriber sends
/// <c>{"type":"subscribe","topic":…}</c>; <c>subscribed</c> makes it ready and names the topic's
/// position; then every <c>message</c> envelope carries one payload as its JSON string <c>data</c>,
/// unescaped here. Checked besides the payload's own index: the topic, and that each sequence is
/// the previous one plus 1, starting right after the one <c>subscribed</c> named (no <c>skipped</c>).
/// </summary>
internal sealed class JsonEnvelopeDecoder(string topic) : MessageDecoder
{
    public const string Subprotocol = "bridge.v1.json";

    private readonly byte[] _topic = Encoding.UTF8.GetBytes(topic);
    private readonly byte[] _subscribe = Encoding.UTF8.GetBytes($"{{\"type\":\"subscribe\",\"topic\":\"{topic}\"}}");

    public override bool ReadyOnOpen => false;

    public override void Decode(Subscriber subscriber, ReadOnlySpan<byte> message, long now, DeliveryTracker tracker)
    {
        if (!JsonEnvelope.TryParse(message, out var envelope))
        {
            tracker.Fail($"subscriber {subscriber.Id}: not a JSON envelope: {Show(message)}");
            return;
        }

        var type = envelope.Type;
        if (type.SequenceEqual("message"u8))
        {
            OnMessage(subscriber, ref envelope, message, now, tracker);
        }
        else if (type.SequenceEqual("welcome"u8) && !subscriber.Welcomed)
        {
            subscriber.Welcomed = true;
            subscriber.Send(ClientFrames.Text, _subscribe);
        }
        else if (type.SequenceEqual("subscribed"u8) && subscriber.Welcomed && !subscriber.Ready && envelope.Topic.SequenceEqual(_topic) && envelope.Sequence >= 0)
        {
            subscriber.Sequence = envelope.Sequence;
            subscriber.Ready = true;
        }
        else
        {
            tracker.Fail($"subscriber {subscriber.Id}: unexpected envelope {Show(message)}");
        }
    }

    private void OnMessage(Subscriber subscriber, ref JsonEnvelope envelope, ReadOnlySpan<byte> message, long now, DeliveryTracker tracker)
    {
        if (!subscriber.Ready || !envelope.Topic.SequenceEqual(_topic) || envelope.Skipped != 0)
        {
            tracker.Fail($"subscriber {subscriber.Id}: unexpected message {(subscriber.Ready ? "" : "before subscribed ")}{Show(message)}");
            return;
        }

        if (envelope.Sequence != subscriber.Sequence + 1)
        {
            tracker.Fail($"subscriber {subscriber.Id}: sequence {envelope.Sequence} followed {subscriber.Sequence}");
        }

        subscriber.Sequence = envelope.Sequence;
        if (!envelope.DataEscaped)
        {
            tracker.Deliver(subscriber, envelope.Data, now);
            return;
        }

        if (subscriber.Scratch is null || subscriber.Scratch.Length < envelope.Data.Length)
        {
            subscriber.Scratch = new byte[Math.Max(envelope.Data.Length, 4096)];
        }

        var length = JsonEnvelope.Unescape(envelope.Data, subscriber.Scratch);
        if (length < 0)
        {
            tracker.Fail($"subscriber {subscriber.Id}: an invalid escape in {Show(message)}");
            return;
        }

        tracker.Deliver(subscriber, subscriber.Scratch.AsSpan(0, length), now);
    }

    private static string Show(ReadOnlySpan<byte> message) =>
        Encoding.UTF8.GetString(message[..Math.Min(message.Length, 160)]);
}
