using Bridge.Configuration;
using Microsoft.Extensions.Options;

namespace Bridge.Topics;

/// <summary>
/// Runs <see cref="TopicRegistry.Sweep"/> periodically (a tenth of <c>History:MaxAge</c>, between 1
/// and 30 seconds) and <see cref="TopicRegistry.EnforceBudget"/> whenever the budget is exceeded.
/// </summary>
internal sealed class TopicSweeper(TopicRegistry topics, IOptions<BridgeOptions> options, TimeProvider time) : BackgroundService
{
    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Task.WhenAll(SweepPeriodicallyAsync(stoppingToken), EnforceBudgetAsync(stoppingToken));

    private async Task EnforceBudgetAsync(CancellationToken stoppingToken)
    {
        try
        {
            while (await topics.BudgetExceeded.WaitToReadAsync(stoppingToken))
            {
                topics.BudgetExceeded.TryRead(out _);
                topics.EnforceBudget();
            }
        }
        catch (OperationCanceledException)
        {
            // Shutting down.
        }
    }

    private async Task SweepPeriodicallyAsync(CancellationToken stoppingToken)
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
