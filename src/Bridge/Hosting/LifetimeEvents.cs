using Bridge.Configuration;
using Bridge.Connections;
using Bridge.Publishing;
using Microsoft.Extensions.Options;

namespace Bridge.Hosting;

/// <summary>
/// Ties the bridge to the host's lifetime: names each bound listener once started, and on
/// shutdown closes every WebSocket with 1001 "going away" (queued frames first), aborting any
/// that has not closed within <c>Bridge:DrainTimeout</c>. Publisher streams are ended first, in the
/// host's stopping phase (<see cref="StoppingAsync"/>).
/// </summary>
internal sealed partial class LifetimeEvents(
    IHostApplicationLifetime lifetime,
    BridgeListeners listeners,
    ConnectionRegistry connections,
    PublisherShutdown publishers,
    TimeProvider time,
    IOptions<BridgeOptions> options,
    ILogger<LifetimeEvents> logger) : IHostedLifecycleService
{
    /// <summary>How long the stopping phase waits for publisher streams to end before the server stops.</summary>
    private static readonly TimeSpan StreamEndWait = TimeSpan.FromSeconds(1);

    /// <summary>Between the last stream's final status and the server's GOAWAY, so clients read the status first.</summary>
    private static readonly TimeSpan StatusGrace = TimeSpan.FromMilliseconds(200);

    private readonly List<CancellationTokenRegistration> _registrations = [];

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _registrations.Add(lifetime.ApplicationStarted.Register(AnnounceListeners));
        _registrations.Add(lifetime.ApplicationStopping.Register(DrainConnections));
        // SIGTERM raises ApplicationStopping before the stopping phase; streams end from either.
        _registrations.Add(lifetime.ApplicationStopping.Register(publishers.Begin));
        return Task.CompletedTask;
    }

    /// <summary>
    /// The host's stopping phase, before <c>ApplicationStopping</c> and before the server stops:
    /// publisher streams end now (acks first, then UNAVAILABLE "shutting down") and get a moment to
    /// reach their backends before the HTTP/2 connections are closed.
    /// </summary>
    public async Task StoppingAsync(CancellationToken cancellationToken)
    {
        publishers.Begin();
        var calls = publishers.WhenIdle();
        if (calls.IsCompleted)
        {
            return;
        }

        // Normally milliseconds; a backend that stops reading its acks keeps its drain (Bridge:DrainTimeout) after this.
        await calls.WaitAsync(StreamEndWait, time, cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        await Task.Delay(StatusGrace, time, cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }

    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

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
