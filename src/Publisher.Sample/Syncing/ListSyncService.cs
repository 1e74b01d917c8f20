using System.Net.Http;
using Grpc.Net.Client;
using Microsoft.Extensions.Options;
using Publisher.Sample.Configuration;
using Publisher.Sample.Lists;

namespace Publisher.Sample.Syncing;

/// <summary>
/// Keeps a <see cref="BridgeSession"/> open for as long as the process runs: whenever the stream
/// fails or the bridge restarts, waits with <see cref="ReconnectBackoff"/> and opens a new one.
/// </summary>
internal sealed partial class ListSyncService(
    SharedList list,
    IOptions<SampleOptions> options,
    TimeProvider time,
    ILogger<ListSyncService> logger,
    ILogger<BridgeSession> sessionLogger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value;
        var address = settings.BridgeUri;
        using var channel = GrpcChannel.ForAddress(address, new GrpcChannelOptions { HttpHandler = CreateHandler() });
        var client = new Bridge.V1.Bridge.BridgeClient(channel);
        var backoff = new ReconnectBackoff(settings.ReconnectDelay, settings.MaxReconnectDelay, Random.Shared);

        Log.Connecting(logger, address, SharedList.Topic);
        while (!stoppingToken.IsCancellationRequested)
        {
            var end = await new BridgeSession(client, list, address, sessionLogger).RunAsync(stoppingToken);
            if (stoppingToken.IsCancellationRequested)
            {
                break;
            }

            if (end.WasConnected)
            {
                backoff.Reset();
            }

            var delay = backoff.Next();
            Log.Reconnecting(logger, address, end.Reason, delay.TotalSeconds);
            await Task.Delay(delay, time, stoppingToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }

    private static SocketsHttpHandler CreateHandler() => new()
    {
        // Without these a bridge host that vanished (no FIN, no RST) would leave the stream looking
        // open forever, and a connect to an unreachable address would hang instead of failing.
        KeepAlivePingDelay = TimeSpan.FromSeconds(20),
        KeepAlivePingTimeout = TimeSpan.FromSeconds(10),
        ConnectTimeout = TimeSpan.FromSeconds(5),
    };

    private static partial class Log
    {
        [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "Connecting to bridge at {Address} to sync topic {Topic}.")]
        public static partial void Connecting(ILogger logger, Uri address, string topic);

        [LoggerMessage(EventId = 2, Level = LogLevel.Warning, Message = "Not connected to bridge at {Address} ({Reason}); reconnecting in {DelaySeconds:0.00} s.")]
        public static partial void Reconnecting(ILogger logger, Uri address, string reason, double delaySeconds);
    }
}
