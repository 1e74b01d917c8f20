using Bridge.Configuration;
using Microsoft.AspNetCore.Cors.Infrastructure;

namespace Bridge.Sse;

/// <summary>
/// CORS for <c>/sse</c> from <c>Bridge:AllowedOrigins</c>, so a page on another origin can open an
/// <c>EventSource</c>: a listed origin may send credentials (cookies, with <c>withCredentials</c>);
/// <c>*</c> allows any origin without credentials. No origins listed: same-origin only.
/// </summary>
internal static class SseCors
{
    public const string PolicyName = "sse";

    public static void Configure(CorsPolicyBuilder policy, BridgeOptions options)
    {
        policy.WithMethods("GET").WithHeaders("Last-Event-ID", "Cache-Control");
        var origins = options.AllowedOrigins;
        if (origins.Contains("*"))
        {
            policy.AllowAnyOrigin();
        }
        else
        {
            policy.WithOrigins([.. origins]).AllowCredentials();
        }
    }
}
