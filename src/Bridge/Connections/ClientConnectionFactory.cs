using Bridge.Configuration;
using Bridge.Diagnostics;
using Bridge.Topics;
using Microsoft.Extensions.Options;

namespace Bridge.Connections;

/// <summary>Creates connections with the shared settings, ids and logger.</summary>
internal sealed class ClientConnectionFactory(
    IOptions<BridgeOptions> options,
    TimeProvider time,
    ConnectionIdGenerator ids,
    BridgeMetrics metrics,
    ILogger<ClientConnection> logger)
{
    private readonly ConnectionSettings _settings = new(options.Value.SendQueueLength, options.Value.History.MaxMessages, options.Value.CloseTimeout, time);

    /// <param name="topics">The topics named when connecting.</param>
    /// <param name="protocol">The connection's protocol.</param>
    /// <param name="initialSubscriptions">What it subscribes to when it joins.</param>
    public ClientConnection Create(string[] topics, ConnectionProtocol protocol, SubscriptionRequest[] initialSubscriptions) =>
        new(ids.Next(), topics, protocol, initialSubscriptions, _settings, metrics, logger);
}
