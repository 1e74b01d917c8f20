using Bridge.Configuration;
using Bridge.Connections;
using Bridge.Diagnostics;
using Bridge.Topics;

namespace Bridge.Broker;

/// <summary>
/// The embedded default: positions, history and fan-out live in this process (<see cref="TopicRegistry"/>).
/// Fan-out only enqueues to each subscriber's bounded queue and never awaits a client, so one slow
/// socket cannot delay the publisher or anyone else.
/// </summary>
internal sealed class InMemoryBroker(TopicRegistry topics, ConnectionRegistry connections, BridgeMetrics metrics) : IBroker
{
    public ValueTask<PublishResult> PublishAsync(string topic, OutboundFrame frame, CancellationToken cancellationToken)
    {
        var message = topics.Publish(topic, frame, out var recipients);
        metrics.Delivered(recipients);
        return ValueTask.FromResult(new PublishResult(message.Sequence, message.Epoch, recipients));
    }

    public ValueTask<DirectSendResult> SendToConnectionAsync(string connectionId, string topic, OutboundFrame frame, CancellationToken cancellationToken)
    {
        if (!connections.TryGet(connectionId, out var connection))
        {
            return ValueTask.FromResult(DirectSendResult.NotConnected);
        }

        if (!connection.Deliver(TopicMessage.Direct(topic, frame), SlowConsumerPolicy.Disconnect))
        {
            return ValueTask.FromResult(DirectSendResult.NotQueued);
        }

        metrics.Delivered(1);
        return ValueTask.FromResult(DirectSendResult.Queued);
    }
}
