using Bridge.Broker;
using Bridge.Configuration;
using Bridge.Connections;
using Bridge.Diagnostics;
using Bridge.Publishing;
using Bridge.Security;
using Bridge.Sse;
using Bridge.Topics;
using Grpc.AspNetCore.Server;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Bridge.Hosting;

internal static class BridgeServiceCollectionExtensions
{
    /// <summary>Registers the bridge: options, listeners, the in-memory broker, connections, publishers, health and gRPC.</summary>
    public static IServiceCollection AddBridge(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<BridgeOptions>()
            .Bind(configuration.GetSection(BridgeOptions.SectionName))
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<BridgeOptions>, BridgeOptionsValidator>();
        services.TryAddSingleton(TimeProvider.System);

        services.AddSingleton<BridgeMetrics>();
        services.AddSingleton<TopicPolicies>();
        services.AddSingleton<TopicRegistry>();
        services.AddHostedService<TopicSweeper>();
        services.AddSingleton<ConnectionRegistry>();
        services.AddHostedService<WebSocketKeepAlive>();
        services.AddSingleton<PublisherRegistry>();
        services.AddSingleton<PublisherShutdown>();
        services.AddSingleton<IConnectionObserver>(sp => sp.GetRequiredService<PublisherRegistry>());
        services.AddSingleton<IClientMessageSink>(sp => sp.GetRequiredService<PublisherRegistry>());
        services.AddSingleton<IBroker, InMemoryBroker>();
        services.AddSingleton<UpdatePublisher>();
        services.AddSingleton<ConnectionAdmission>();
        services.AddSingleton<ConnectionIdGenerator>();
        services.AddSingleton<ClientConnectionFactory>();
        services.AddSingleton<ClientFrameReader>();
        services.AddSingleton<JsonRequestHandler>();
        services.AddSingleton<WebSocketEndpoint>();
        services.AddSingleton<SseEndpoint>();
        services.AddCors(cors => cors.AddPolicy(SseCors.PolicyName, policy => SseCors.Configure(policy, configuration.GetSection(BridgeOptions.SectionName).Get<BridgeOptions>() ?? new BridgeOptions())));
        services.AddSingleton<DemoPage>();
        services.AddSingleton<ClientScript>();
        services.AddSingleton<BridgeListeners>();
        services.AddHostedService<LifetimeEvents>();

        services.AddOptions<KestrelServerOptions>()
            .Configure<IOptions<BridgeOptions>, BridgeListeners>((kestrel, options, listeners) => listeners.Configure(kestrel, options.Value));
        // Kestrel's pipes get 32 KiB blocks for large frames besides its usual 4 KiB (FrameBlockMemoryPool).
        services.AddSingleton<Microsoft.AspNetCore.Connections.IMemoryPoolFactory<byte>, FrameBlockMemoryPoolFactory>();
        // Socket continuations run on the epoll thread instead of hopping to the thread pool first:
        // every handler here is non-blocking (enqueue, never wait on a client), so nothing stalls it.
        services.AddOptions<Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets.SocketTransportOptions>()
            .Configure(sockets => sockets.UnsafePreferInlineScheduling = true);
        services.AddOptions<HostOptions>()
            .Configure<IOptions<BridgeOptions>>((host, options) => host.ShutdownTimeout = options.Value.DrainTimeout + TimeSpan.FromSeconds(2));

        services.AddGrpc();
        services.AddOptions<GrpcServiceOptions>()
            .Configure<IOptions<BridgeOptions>>((grpc, options) => grpc.MaxReceiveMessageSize = options.Value.GrpcMaxReceiveMessageBytes);
        services.AddGrpcReflection();
        // gRPC health reports SERVING only when every check is Healthy, so Degraded (not ready) is NOT_SERVING there too.
        services.AddGrpcHealthChecks();
        services.AddHealthChecks().AddCheck<ReadinessHealthCheck>(ReadinessHealthCheck.Tag, tags: [ReadinessHealthCheck.Tag]);
        return services;
    }
}
