using System.Diagnostics.Metrics;

namespace Bridge.Diagnostics;

/// <summary>
/// Every metric of the bridge, in one place, on the <c>Bridge</c> meter
/// (System.Diagnostics.Metrics; readable with dotnet-counters or any OpenTelemetry exporter).
/// </summary>
internal sealed class BridgeMetrics
{
    public const string MeterName = "Bridge";

    private readonly UpDownCounter<long> _connections;
    private readonly UpDownCounter<long> _publisherStreams;
    private readonly Counter<long> _updatesAccepted;
    private readonly Counter<long> _updatesRejected;
    private readonly Counter<long> _deliveries;
    private readonly Counter<long> _slowConsumers;
    private readonly Counter<long> _clientMessages;
    private readonly Counter<long> _clientMessagesUnrouted;
    private readonly Counter<long> _clientMessagesTooBig;
    private readonly Counter<long> _protocolErrors;
    private readonly Counter<long> _publisherDropped;
    private readonly Counter<long> _deliveriesDropped;
    private readonly Counter<long> _deliveriesConflated;
    private readonly Counter<long> _topicsEvicted;
    private readonly Counter<long> _historyTrimmed;
    private readonly Counter<long> _requestErrors;
    private readonly Meter _meter;

    public BridgeMetrics(IMeterFactory meterFactory)
    {
        var meter = _meter = meterFactory.Create(MeterName);
        _connections = meter.CreateUpDownCounter<long>("bridge.connections", "{connection}", "Open browser connections.");
        _publisherStreams = meter.CreateUpDownCounter<long>("bridge.publisher.streams", "{stream}", "Open publisher streams.");
        _updatesAccepted = meter.CreateCounter<long>("bridge.updates.accepted", "{update}", "Updates accepted from publishers.");
        _updatesRejected = meter.CreateCounter<long>("bridge.updates.rejected", "{update}", "Updates rejected with an Ack error.");
        _deliveries = meter.CreateCounter<long>("bridge.deliveries", "{delivery}", "Frames queued to browser connections.");
        _slowConsumers = meter.CreateCounter<long>("bridge.connections.slow_consumer", "{connection}", "Connections closed with 1008 because their send queue overflowed.");
        _clientMessages = meter.CreateCounter<long>("bridge.client_messages", "{message}", "Messages received from browsers.");
        _clientMessagesUnrouted = meter.CreateCounter<long>("bridge.client_messages.unrouted", "{message}", "Browser messages no publisher stream listened to.");
        _clientMessagesTooBig = meter.CreateCounter<long>("bridge.client_messages.too_big", "{message}", "Browser messages over the size limit (connection closed with 1009).");
        _protocolErrors = meter.CreateCounter<long>("bridge.connections.protocol_errors", "{connection}", "Connections closed for breaking the WebSocket protocol: bad framing (1002), or invalid UTF-8 in a text message or a close reason (1007).");
        _publisherDropped = meter.CreateCounter<long>("bridge.publisher.dropped", "{message}", "Browser messages and events dropped for a publisher stream that read too slowly.");
        _deliveriesDropped = meter.CreateCounter<long>("bridge.deliveries.dropped", "{delivery}", "Updates dropped from a full send queue by the drop-oldest policy.");
        _deliveriesConflated = meter.CreateCounter<long>("bridge.deliveries.conflated", "{delivery}", "Queued updates replaced by a newer one of the same topic by the conflate policy.");
        _topicsEvicted = meter.CreateCounter<long>("bridge.topics.evicted", "{topic}", "Idle topics evicted with their history (idle for History:MaxAge, or over History:MaxBytes).");
        _historyTrimmed = meter.CreateCounter<long>("bridge.history.trimmed", "{event}", "Times history of subscribed topics was trimmed because retained bytes exceeded History:MaxBytes.");
        _requestErrors = meter.CreateCounter<long>("bridge.requests.rejected", "{request}", "JSON subprotocol requests answered with an error envelope.");
    }

    /// <summary>Registers the gauges of the topic registry: topics held and bytes retained by history and latest values.</summary>
    public void ObserveTopics(Func<long> topics, Func<long> retainedBytes)
    {
        _meter.CreateObservableGauge("bridge.topics", topics, "{topic}", "Topics held (with subscribers, history or a latest value).");
        _meter.CreateObservableGauge("bridge.history.bytes", retainedBytes, "By", "Estimated bytes retained by history, latest values and topic state.");
    }

    public void ConnectionOpened() => _connections.Add(1);

    public void ConnectionClosed() => _connections.Add(-1);

    public void PublisherStreamOpened() => _publisherStreams.Add(1);

    public void PublisherStreamClosed() => _publisherStreams.Add(-1);

    public void UpdateAccepted() => _updatesAccepted.Add(1);

    public void UpdateRejected() => _updatesRejected.Add(1);

    public void Delivered(int recipients)
    {
        if (recipients > 0)
        {
            _deliveries.Add(recipients);
        }
    }

    public void SlowConsumerClosed() => _slowConsumers.Add(1);

    public void ClientMessageReceived() => _clientMessages.Add(1);

    public void ClientMessageUnrouted() => _clientMessagesUnrouted.Add(1);

    public void ClientMessageTooBig() => _clientMessagesTooBig.Add(1);

    public void ProtocolError() => _protocolErrors.Add(1);

    public void PublisherEventDropped() => _publisherDropped.Add(1);

    public void DeliveryDropped() => _deliveriesDropped.Add(1);

    public void DeliveryConflated() => _deliveriesConflated.Add(1);

    public void TopicEvicted() => _topicsEvicted.Add(1);

    public void HistoryTrimmed() => _historyTrimmed.Add(1);

    public void RequestRejected() => _requestErrors.Add(1);
}
