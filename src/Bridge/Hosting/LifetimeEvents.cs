using Bridge.Configuration;
using Bridge.Connections;
using Microsoft.Extensions.Options;

namespace Bridge.Hosting;

/// <summary>
/// Ties the bridge to the host's lifetime: names each bound listener once started, and on
/// shutdown closes every WebSocket with 1001 "going away" (queued frames first), aborting any
/// that has not closed within <c>Bridge:DrainTimeout</c>. Publisher streams watch the same
/// stopping signal themselves.
/// </summary>
internal sealed partial class LifetimeEvents(
    IHostApplicationLifetime lifetime,
    BridgeListeners listeners,
    ConnectionRegistry connections,
    IOptions<BridgeOptions> options,
    ILogger<LifetimeEvents> logger) : IHostedService
{
    private readonly List<CancellationTokenRegistration> _registrations = [];

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _registrations.Add(lifetime.ApplicationStarted.Register(AnnounceListeners));
        _registrations.Add(lifetime.ApplicationStopping.Register(DrainConnections));
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        foreach (var registration in _registrations)
        {
            registration.Dispose();
        }

        return Task.CompletedTask;
    }

    private void AnnounceListeners()
    {
        Log.HttpListener(logger, listeners.HttpEndPoint);
        Log.GrpcListener(logger, listeners.GrpcEndPoint);
    }

    private void DrainConnections()
    {
        Log.Draining(logger, connections.Count, options.Value.DrainTimeout);
        connections.CloseAll(CloseRequest.GoingAway, options.Value.DrainTimeout);
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "HTTP listener (WebSockets /ws, demo page /, /healthz, /readyz) bound to http://{EndPoint}")]
        public static partial void HttpListener(ILogger logger, System.Net.EndPoint? endPoint);

        [LoggerMessage(EventId = 2, Level = LogLevel.Information, Message = "gRPC listener (bridge.v1.Bridge, grpc.health.v1, reflection; cleartext HTTP/2) bound to http://{EndPoint}")]
        public static partial void GrpcListener(ILogger logger, System.Net.EndPoint? endPoint);

        [LoggerMessage(EventId = 3, Level = LogLevel.Information, Message = "Shutting down: closing {ConnectionCount} connection(s) with 1001, waiting at most {DrainTimeout}.")]
        public static partial void Draining(ILogger logger, int connectionCount, TimeSpan drainTimeout);
    }
}
