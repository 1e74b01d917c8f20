using Bridge.Configuration;
using Microsoft.Extensions.Options;

namespace Bridge.Topics;

/// <summary>Runs <see cref="TopicRegistry.Sweep"/> periodically: a tenth of <c>History:MaxAge</c>, between 1 and 30 seconds.</summary>
internal sealed class TopicSweeper(TopicRegistry topics, IOptions<BridgeOptions> options, TimeProvider time) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var interval = TimeSpan.FromTicks(Math.Clamp(options.Value.History.MaxAge.Ticks / 10, TimeSpan.TicksPerSecond, 30 * TimeSpan.TicksPerSecond));
        using var timer = new PeriodicTimer(interval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                topics.Sweep();
            }
        }
        catch (OperationCanceledException)
        {
            // Shutting down.
        }
    }
}
