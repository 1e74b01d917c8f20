using Bridge.Configuration;
using Bridge.Diagnostics;
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
    private readonly ConnectionSettings _settings = new(options.Value.SendQueueLength, options.Value.CloseTimeout, time);

    public ClientConnection Create(string[] topics) => new(ids.Next(), topics, _settings, metrics, logger);
}
