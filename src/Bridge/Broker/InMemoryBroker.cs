using Bridge.Connections;
using Bridge.Diagnostics;
using Bridge.Topics;

namespace Bridge.Broker;

/// <summary>
/// The embedded default: positions and fan-out live in this process. Fan-out only enqueues to
/// each subscriber's bounded queue and never awaits a client, so one slow socket cannot delay
/// the publisher or anyone else.
/// </summary>
internal sealed class InMemoryBroker(TopicRegistry topics, ConnectionRegistry connections, BridgeMetrics metrics) : IBroker
{
    public ValueTask<PublishResult> PublishAsync(string topic, OutboundFrame frame, CancellationToken cancellationToken)
    {
        ulong sequence;
        var recipients = 0;
        while (true)
        {
            var state = topics.GetOrAdd(topic);
            lock (state.Gate)
            {
                if (state.Retired)
                {
                    continue; // its last browser just left; look it up again
                }

                sequence = ++state.LastSequence;
                foreach (var subscriber in state.Subscribers)
                {
                    if (subscriber.TryEnqueue(frame))
                    {
                        recipients++;
                    }
                }

                break;
            }
        }

        metrics.Delivered(recipients);
        return ValueTask.FromResult(new PublishResult(sequence, recipients));
    }

    public ValueTask<DirectSendResult> SendToConnectionAsync(string connectionId, OutboundFrame frame, CancellationToken cancellationToken)
    {
        if (!connections.TryGet(connectionId, out var connection))
        {
            return ValueTask.FromResult(DirectSendResult.NotConnected);
        }

        if (!connection.TryEnqueue(frame))
        {
            return ValueTask.FromResult(DirectSendResult.NotQueued);
        }

        metrics.Delivered(1);
        return ValueTask.FromResult(DirectSendResult.Queued);
    }
}
