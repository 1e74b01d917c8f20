using System.Net;
using System.Net.WebSockets;
using Bridge.Hosting;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Bridge.Tests.Infrastructure;

/// <summary>
/// The real bridge on real Kestrel, bound to 127.0.0.1 on free ports, with helpers to reach it
/// through a real gRPC channel and real WebSocket clients.
/// </summary>
internal sealed class BridgeServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ErrorLogCollector _errors;

    private BridgeServer(WebApplication app, ErrorLogCollector errors, Uri httpUri, Uri grpcUri)
    {
        _app = app;
        _errors = errors;
        HttpUri = httpUri;
        GrpcUri = grpcUri;
        Channel = GrpcChannel.ForAddress(grpcUri);
        Client = new V1.Bridge.BridgeClient(Channel);
    }

    public Uri HttpUri { get; }

    public Uri GrpcUri { get; }

    public GrpcChannel Channel { get; }

    public V1.Bridge.BridgeClient Client { get; }

    public IServiceProvider Services => _app.Services;

    public IHostApplicationLifetime Lifetime => _app.Services.GetRequiredService<IHostApplicationLifetime>();

    /// <summary>Starts a bridge; <paramref name="settings"/> are extra <c>Bridge:Key=value</c> pairs.</summary>
    public static async Task<BridgeServer> StartAsync(
        IReadOnlyDictionary<string, string>? settings = null,
        Action<WebApplicationBuilder>? configure = null)
    {
        var args = new List<string>
        {
            "--Bridge:HttpUrl=http://127.0.0.1:0",
            "--Bridge:GrpcUrl=http://127.0.0.1:0",
            "--Logging:LogLevel:Default=Warning",
            // Clients in tests often never answer the close; don't let each shutdown wait the full default.
            "--Bridge:DrainTimeout=00:00:02",
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string>())
        {
            args.Add($"--Bridge:{key}={value}");
        }

        var errors = new ErrorLogCollector();
        var app = BridgeApplication.Create([.. args], builder =>
        {
            builder.Logging.AddProvider(errors);
            configure?.Invoke(builder);
        });
        await app.StartAsync().WaitAsync(TimeSpan.FromSeconds(30));
        var listeners = app.Services.GetRequiredService<BridgeListeners>();
        return new BridgeServer(app, errors, ToUri(listeners.HttpEndPoint), ToUri(listeners.GrpcEndPoint));
    }

    /// <summary>
    /// The settings that bind another bridge to this one's two ports: pass them (with any others) to
    /// <see cref="StartAsync"/> once this one has stopped, to restart "the same" bridge.
    /// </summary>
    public Dictionary<string, string> SamePorts() => new()
    {
        ["HttpUrl"] = $"http://{HttpUri.Authority}",
        ["GrpcUrl"] = $"http://{GrpcUri.Authority}",
    };

    /// <summary>Starts a bridge whose clock is <paramref name="time"/> (history age, sweeps, timers).</summary>
    public static Task<BridgeServer> StartAsync(TimeProvider time, IReadOnlyDictionary<string, string>? settings = null) =>
        StartAsync(settings, builder => builder.Services.Replace(ServiceDescriptor.Singleton(time)));

    public Uri WebSocketUri(params string[] topics)
    {
        var query = topics.Length == 0 ? string.Empty : "?" + string.Join("&", topics.Select(t => "topic=" + Uri.EscapeDataString(t)));
        return new Uri($"ws://{HttpUri.Authority}/ws{query}");
    }

    /// <summary>
    /// Settings for a burst that outruns a reader: a send queue of one, so the reader is closed as a
    /// slow consumer mid-burst, and history holding the whole burst, so every resume can recover.
    /// </summary>
    public static Dictionary<string, string> SlowReaderBurst(int updates) => new()
    {
        ["SendQueueLength"] = "1",
        ["History:MaxMessages"] = updates.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["History:MaxBytes"] = (256L * 1024 * 1024).ToString(System.Globalization.CultureInfo.InvariantCulture),
    };

    /// <summary>The <c>/sse</c> URL with <paramref name="query"/> (already encoded).</summary>
    public Uri SseUri(string query) => new($"http://{HttpUri.Authority}/sse?{query}");

    /// <summary>Opens a real <see cref="ClientWebSocket"/> to <c>/ws</c> with the given topics.</summary>
    public async Task<ClientWebSocket> ConnectAsync(params string[] topics)
    {
        var socket = new ClientWebSocket();
        await socket.ConnectAsync(WebSocketUri(topics), CancellationToken.None).WaitAsync(TestTimeouts.Signal);
        return socket;
    }

    public Task StopAsync() => _app.StopAsync();

    public async ValueTask DisposeAsync()
    {
        Channel.Dispose();
        await _app.StopAsync().WaitAsync(TimeSpan.FromSeconds(30));
        await _app.DisposeAsync();
        Assert.True(_errors.Errors.Count == 0, "the bridge logged errors:\n" + string.Join("\n", _errors.Errors));
    }

    private static Uri ToUri(EndPoint? endPoint) =>
        endPoint is IPEndPoint ip ? new Uri($"http://{ip}") : throw new InvalidOperationException("listener not bound");
}
