using System.Net;
using Bridge.Configuration;
using Bridge.Connections;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace Bridge.Hosting;

/// <summary>
/// The two Kestrel listeners: HTTP/1.1 for WebSockets and pages, cleartext HTTP/2 (h2c) for gRPC.
/// One cleartext port cannot carry both (gRPC clients fail with HTTP_1_1_REQUIRED), hence two.
/// Keeps each listener's options so the bound addresses (port 0 included) can be read per listener.
/// </summary>
internal sealed class BridgeListeners
{
    private ListenOptions? _http;
    private ListenOptions? _grpc;

    /// <summary>The address the HTTP listener is bound to, once the server has started.</summary>
    public EndPoint? HttpEndPoint => _http?.EndPoint;

    /// <summary>The address the gRPC listener is bound to, once the server has started.</summary>
    public EndPoint? GrpcEndPoint => _grpc?.EndPoint;

    public void Configure(KestrelServerOptions kestrel, BridgeOptions options)
    {
        _http = Listen(kestrel, options.HttpUrl, HttpProtocols.Http1, directUpgrades: true);
        _grpc = Listen(kestrel, options.GrpcUrl, HttpProtocols.Http2, directUpgrades: false);

        // A backend that vanishes without FIN or RST (partition, lost node) would otherwise keep its
        // Publish stream registered, and its queue filling, for ever: HTTP/2 pings find it.
        // (Kestrel accepts whole seconds and more here.)
        kestrel.Limits.Http2.KeepAlivePingDelay = Max(options.PingInterval, TimeSpan.FromSeconds(1));
        kestrel.Limits.Http2.KeepAlivePingTimeout = Max(options.PingTimeout, TimeSpan.FromSeconds(1));
    }

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;

    private static ListenOptions Listen(KestrelServerOptions kestrel, string url, HttpProtocols protocols, bool directUpgrades)
    {
        // Validated at start-up by BridgeOptionsValidator; parsing again here cannot fail.
        if (!ListenerUrl.TryParse(url, out var listener, out var error))
        {
            throw new InvalidOperationException(error);
        }

        ListenOptions? captured = null;
        void Configure(ListenOptions options)
        {
            options.Protocols = protocols;
            if (directUpgrades)
            {
                // Runs before Kestrel's HTTP layer: WebSocket upgrades of /ws skip it (see DirectUpgradeMiddleware).
                options.Use(next => ActivatorUtilities.CreateInstance<DirectUpgradeMiddleware>(options.ApplicationServices, next).OnConnectionAsync);
            }

            captured = options;
        }

        if (listener.IsLocalhost)
        {
            kestrel.ListenLocalhost(listener.Port, Configure);
        }
        else if (listener.IsAnyIp)
        {
            kestrel.ListenAnyIP(listener.Port, Configure);
        }
        else
        {
            kestrel.Listen(listener.Address!, listener.Port, Configure);
        }

        return captured ?? throw new InvalidOperationException("Kestrel did not configure the listener.");
    }
}
