using System.Text;
using Bridge.Broker;
using Bridge.Configuration;
using Bridge.Connections;
using Bridge.Diagnostics;
using Bridge.Topics;
using Bridge.V1;
using Microsoft.Extensions.Options;

namespace Bridge.Publishing;

/// <summary>
/// Validates one <see cref="Update"/>, frames its payload once and hands it to the broker; shared
/// by the <c>Publish</c> stream and <c>PublishOne</c>. A rejected update gets an <see cref="Ack"/>
/// with an error and takes no position in its topic.
/// </summary>
internal sealed class UpdatePublisher(IBroker broker, IOptions<BridgeOptions> options, BridgeMetrics metrics)
{
    private readonly int _maxUpdateBytes = options.Value.MaxUpdateBytes;

    public async ValueTask<Ack> PublishAsync(Update update, CancellationToken cancellationToken)
    {
        var ack = new Ack { Id = update.Id, Topic = update.Topic };
        if (Validate(update, out var payloadBytes) is { } error)
        {
            metrics.UpdateRejected();
            ack.Error = error;
            return ack;
        }

        var frame = update.PayloadCase == Update.PayloadOneofCase.Text
            ? OutboundFrame.Text(update.Text, payloadBytes)
            : OutboundFrame.Binary(update.Binary.Span);

        if (update.ConnectionId.Length > 0)
        {
            switch (await broker.SendToConnectionAsync(update.ConnectionId, update.Topic, frame, cancellationToken))
            {
                case DirectSendResult.Queued:
                    ack.Recipients = 1;
                    break;
                case DirectSendResult.NotConnected:
                    metrics.UpdateRejected();
                    ack.Error = $"connection '{update.ConnectionId}' is not connected";
                    return ack;
                case DirectSendResult.NotQueued:
                    // Accepted, but the connection is being closed as a slow consumer.
                    break;
            }

            metrics.UpdateAccepted();
            return ack;
        }

        var result = await broker.PublishAsync(update.Topic, frame, cancellationToken);
        ack.Sequence = result.Sequence;
        ack.Epoch = result.Epoch;
        ack.Recipients = (uint)result.Recipients;
        metrics.UpdateAccepted();
        return ack;
    }

    /// <param name="update">The update to check.</param>
    /// <param name="size">The payload's size in bytes (UTF-8 for text), so framing need not count again.</param>
    private string? Validate(Update update, out int size)
    {
        size = -1;
        if (!TopicName.IsValidOrBroadcast(update.Topic, out var topicError))
        {
            return "invalid topic: " + topicError;
        }

        size = update.PayloadCase switch
        {
            Update.PayloadOneofCase.Text => Encoding.UTF8.GetByteCount(update.Text),
            Update.PayloadOneofCase.Binary => update.Binary.Length,
            _ => -1,
        };

        if (size < 0)
        {
            return "update has no payload: set text or binary";
        }

        if (size > _maxUpdateBytes)
        {
            return $"payload too large: {size} bytes exceeds the limit of {_maxUpdateBytes} bytes (Bridge:MaxUpdateBytes)";
        }

        return null;
    }
}
