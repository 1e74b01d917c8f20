using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Bridge.Hosting;

/// <summary>
/// Ready once the host has started and until it begins to stop (then load balancers should move on).
/// Not ready is reported as Degraded, which <c>/readyz</c> maps to 503: the health-check framework
/// logs Unhealthy results as errors, and a normal shutdown is not an error.
/// </summary>
internal sealed class ReadinessHealthCheck(IHostApplicationLifetime lifetime) : IHealthCheck
{
    public const string Tag = "ready";

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        if (lifetime.ApplicationStopping.IsCancellationRequested)
        {
            return Task.FromResult(HealthCheckResult.Degraded("shutting down"));
        }

        return Task.FromResult(lifetime.ApplicationStarted.IsCancellationRequested
            ? HealthCheckResult.Healthy()
            : HealthCheckResult.Degraded("starting"));
    }
}
