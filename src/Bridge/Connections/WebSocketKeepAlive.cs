using Bridge.Configuration;
using Microsoft.Extensions.Options;

namespace Bridge.Connections;

/// <summary>
/// WebSocket keep-alive for every connection from one timer: each sweep sends a ping to every
/// WebSocket whose last ping is <c>Bridge:PingInterval</c> old and has been answered, and aborts
/// every one whose ping has gone unanswered for <c>Bridge:PingTimeout</c>. One timer for all,
/// rather than one per connection, because an idle connection should cost as little as possible.
/// </summary>
/// <remarks>
/// Sweeps run at half the shorter of the two settings, so a ping goes out within half an interval
/// of being due and a dead peer is aborted within half a timeout of missing it. The ping goes
/// through the connection's send queue like every frame (never inside another frame); a
/// connection whose queue is full is already being closed as a slow consumer.
/// </remarks>
internal sealed partial class WebSocketKeepAlive(
    ConnectionRegistry connections,
    IOptions<BridgeOptions> options,
    TimeProvider time,
    ILogger<WebSocketKeepAlive> logger) : BackgroundService
{
    private readonly TimeSpan _interval = options.Value.PingInterval;
    private readonly TimeSpan _timeout = options.Value.PingTimeout;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // At least a millisecond: the timer's own minimum, whatever tiny setting a test uses.
        var period = Math.Max(TimeSpan.TicksPerMillisecond, Math.Min(_interval.Ticks, _timeout.Ticks) / 2);
        using var timer = new PeriodicTimer(TimeSpan.FromTicks(period), time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                Sweep();
            }
        }
        catch (OperationCanceledException)
        {
            // Shutting down.
        }
    }

    private void Sweep()
    {
        var now = time.GetTimestamp();
        foreach (var connection in connections.Open)
        {
            if (connection.WebSocket is not { } channel)
            {
                continue;
            }

            switch (channel.CheckKeepAlive(time, now, _interval, _timeout))
            {
                case KeepAliveAction.Ping:
                    connection.EnqueueEnvelope(OutboundFrame.Ping);
                    break;
                case KeepAliveAction.Abort:
                    Log.PingTimedOut(logger, connection.Id, _timeout);
                    connection.Abort();
                    break;
            }
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 125, Level = LogLevel.Debug, Message = "Connection {ConnectionId} did not answer a ping within {Timeout}; aborted.")]
        public static partial void PingTimedOut(ILogger logger, string connectionId, TimeSpan timeout);
    }
}
