using System.Buffers.Binary;
using System.Net.Sockets;

namespace Bridge.Benchmarks.Load;

/// <summary>
/// Parses the frames a server sends (unmasked) out of whatever one read returned, without
/// allocating per frame: data frames go to the decoder, pings are answered, a close ends the
/// subscriber. Shared by both receivers.
/// </summary>
internal sealed class FrameReader(MessageDecoder decoder, DeliveryTracker tracker) : IStreamReader
{
    public DeliveryTracker Tracker => tracker;

    /// <summary>Consumes the complete frames at the start of <paramref name="data"/>; returns how many bytes they took.</summary>
    public int Consume(Subscriber subscriber, ReadOnlySpan<byte> data, long now)
    {
        var position = 0;
        subscriber.PendingFrameSize = 0;
        while (data.Length - position >= 2)
        {
            var frame = data[position..];
            var first = frame[0];
            var second = frame[1];
            if ((second & 0x80) != 0)
            {
                End(subscriber, "the server sent a masked frame");
                return data.Length;
            }

            long length = second & 0x7F;
            var header = 2;
            if (length == 126)
            {
                if (frame.Length < 4)
                {
                    break;
                }

                length = BinaryPrimitives.ReadUInt16BigEndian(frame[2..]);
                header = 4;
            }
            else if (length == 127)
            {
                if (frame.Length < 10)
                {
                    break;
                }

                length = (long)BinaryPrimitives.ReadUInt64BigEndian(frame[2..]);
                header = 10;
            }

            if (length > int.MaxValue / 2)
            {
                End(subscriber, $"the server sent a frame of {length} bytes");
                return data.Length;
            }

            var size = header + (int)length;
            if (frame.Length < size)
            {
                subscriber.PendingFrameSize = size;
                break;
            }

            OnFrame(subscriber, (first & 0x80) != 0, (byte)(first & 0x0F), frame.Slice(header, (int)length), now);
            position += size;
            if (subscriber.EndReason is not null)
            {
                return data.Length;
            }
        }

        return position;
    }

    /// <summary>The connection ended: by a close frame, the end of the stream, or an error.</summary>
    public void End(Subscriber subscriber, string reason)
    {
        if (subscriber.EndReason is null)
        {
            subscriber.EndReason = reason;
            tracker.Fail($"subscriber {subscriber.Id}: {reason}");
        }
    }

    private void OnFrame(Subscriber subscriber, bool final, byte opcode, ReadOnlySpan<byte> payload, long now)
    {
        switch (opcode)
        {
            case ClientFrames.Text or ClientFrames.Binary when final && !subscriber.InFragmentedMessage:
                decoder.Decode(subscriber, payload, now, tracker);
                break;

            case ClientFrames.Text or ClientFrames.Binary when !subscriber.InFragmentedMessage:
                subscriber.InFragmentedMessage = true;
                subscriber.FragmentsLength = 0;
                AppendFragment(subscriber, payload);
                break;

            case ClientFrames.Continuation when subscriber.InFragmentedMessage:
                AppendFragment(subscriber, payload);
                if (final)
                {
                    subscriber.InFragmentedMessage = false;
                    decoder.Decode(subscriber, subscriber.Fragments.AsSpan(0, subscriber.FragmentsLength), now, tracker);
                }

                break;

            case ClientFrames.Ping:
                try
                {
                    subscriber.Send(ClientFrames.Pong, payload);
                }
                catch (Exception ex) when (ex is SocketException or TimeoutException or ObjectDisposedException)
                {
                    End(subscriber, "could not answer a ping: " + ex.Message);
                }

                break;

            case ClientFrames.Pong:
                break;

            case ClientFrames.Close:
                var code = payload.Length >= 2 ? BinaryPrimitives.ReadUInt16BigEndian(payload) : 0;
                End(subscriber, $"the server closed the connection with {code} {System.Text.Encoding.UTF8.GetString(payload[Math.Min(2, payload.Length)..])}");
                break;

            default:
                End(subscriber, $"unexpected frame: opcode {opcode}, final {final}");
                break;
        }
    }

    private static void AppendFragment(Subscriber subscriber, ReadOnlySpan<byte> payload)
    {
        var needed = subscriber.FragmentsLength + payload.Length;
        if (subscriber.Fragments is null || subscriber.Fragments.Length < needed)
        {
            var grown = new byte[Math.Max(needed, 2 * (subscriber.Fragments?.Length ?? 4096))];
            subscriber.Fragments?.AsSpan(0, subscriber.FragmentsLength).CopyTo(grown);
            subscriber.Fragments = grown;
        }

        payload.CopyTo(subscriber.Fragments.AsSpan(subscriber.FragmentsLength));
        subscriber.FragmentsLength = needed;
    }
}
