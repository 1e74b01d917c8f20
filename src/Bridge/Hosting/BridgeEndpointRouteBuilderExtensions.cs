using Bridge.Connections;
using Bridge.Publishing;
using Bridge.Sse;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Bridge.Hosting;

internal static class BridgeEndpointRouteBuilderExtensions
{
    /// <summary>Maps <c>/ws</c>, <c>/sse</c>, the demo page and its client script, the health endpoints and the gRPC services.</summary>
    public static WebApplication MapBridge(this WebApplication app)
    {
        var webSockets = app.Services.GetRequiredService<WebSocketEndpoint>();
        app.Map("/ws", webSockets.HandleAsync);

        app.UseCors();
        var sse = app.Services.GetRequiredService<SseEndpoint>();
        app.MapGet("/sse", sse.HandleAsync).RequireCors(SseCors.PolicyName);

        var demo = app.Services.GetRequiredService<DemoPage>();
        app.MapGet("/", demo.WriteAsync);
        var clientScript = app.Services.GetRequiredService<ClientScript>();
        app.MapGet("/bridge-client.js", clientScript.WriteAsync);

        // Liveness runs no checks: the process answers, so it is alive.
        app.MapHealthChecks("/healthz", new HealthCheckOptions { Predicate = static _ => false });
        app.MapHealthChecks("/readyz", new HealthCheckOptions
        {
            Predicate = static check => check.Tags.Contains(ReadinessHealthCheck.Tag),
            ResultStatusCodes =
            {
                [HealthStatus.Healthy] = StatusCodes.Status200OK,
                [HealthStatus.Degraded] = StatusCodes.Status503ServiceUnavailable,
                [HealthStatus.Unhealthy] = StatusCodes.Status503ServiceUnavailable,
            },
        });

        app.MapGrpcService<BridgeService>();
        app.MapGrpcHealthChecksService();
        app.MapGrpcReflectionService();
        return app;
    }
}
