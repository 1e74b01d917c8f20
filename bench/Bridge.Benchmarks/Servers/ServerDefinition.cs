using System.Text.RegularExpressions;
using Bridge.Benchmarks.Infrastructure;
using Bridge.Benchmarks.Load;
using Bridge.Benchmarks.Publishers;

namespace Bridge.Benchmarks.Servers;

/// <summary>
/// How to build, start, subscribe to and publish to one kind of server. Every server is started
/// fresh for each scenario run, pinned to core 0, on loopback.
/// </summary>
internal abstract partial class ServerDefinition
{
    public abstract ServerKind Kind { get; }

    public string Name => Kind.ToString().ToLowerInvariant();

    /// <summary>The request target of a subscriber's upgrade request.</summary>
    public abstract string SubscribeTarget { get; }

    /// <summary>A frame each subscriber sends right after the upgrade (SignalR's handshake), if any.</summary>
    public virtual byte[]? SubscriberFirstFrame => null;

    /// <summary>A text payload each subscriber must send now and then to stay connected (SignalR's ping), if any.</summary>
    public virtual byte[]? SubscriberKeepAlive => null;

    public virtual MessageDecoder Decoder => PlainDecoder.Instance;

    /// <summary>How subscribers connect in <paramref name="mode"/>: plain WebSockets, for every server.</summary>
    public virtual SubscriberProtocol Subscribers(SubscriberMode mode) => mode == SubscriberMode.Plain
        ? new WebSocketSubscribers(SubscribeTarget, SubscriberFirstFrame, Decoder)
        : throw new NotSupportedException($"{Name} has no {mode} subscribers");

    /// <summary>Whether the allocation probe can be loaded into it (.NET servers).</summary>
    public virtual bool IsDotNet => false;

    public static ServerDefinition For(ServerKind kind) => kind switch
    {
        ServerKind.Bridge => new BridgeServer(),
        ServerKind.SignalR => new SignalRServer(),
        ServerKind.Naive => new NaiveServer(),
        ServerKind.Raw => new RawCeilingServer(),
        ServerKind.Nchan => new NchanServer(),
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    /// <summary>Checks (or builds, or installs) what starting it needs; returns why it cannot run, or null.</summary>
    public abstract Task<string?> PrepareAsync(BenchContext context, CancellationToken cancellationToken);

    public abstract Task<ServerProcess> StartAsync(BenchContext context, CancellationToken cancellationToken);

    public abstract Task<IPublisher> ConnectPublisherAsync(ServerProcess server, int payloadSize, CancellationToken cancellationToken);

    [GeneratedRegex(@"^LISTENING (\d+)")]
    protected static partial Regex ListeningLine();

    /// <summary>Environment for a .NET server: the allocation probe, and none of the generator's own tuning.</summary>
    protected static Dictionary<string, string?> DotNetEnvironment(BenchContext context, string probeSocket) => new()
    {
        ["DOTNET_STARTUP_HOOKS"] = context.Layout.Output("bench/AllocationProbe", "AllocationProbe"),
        ["BENCH_PROBE_SOCKET"] = probeSocket,
        ["DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS"] = null,
        ["DOTNET_gcServer"] = "0",
        ["ASPNETCORE_ENVIRONMENT"] = "Production",
        ["DOTNET_ENVIRONMENT"] = "Production",
    };

    protected static string? MissingBuild(params string[] paths) =>
        paths.FirstOrDefault(p => !File.Exists(p)) is { } missing
            ? $"{missing} is not built: run the benchmarks with `dotnet run -c Release --project bench/Bridge.Benchmarks`, which builds it"
            : null;

    protected static string NewProbeSocket(BenchContext context) =>
        Path.Combine(context.WorkDirectory, $"probe-{Guid.NewGuid():N}.sock");

    protected static async Task AttachProbeAsync(ServerProcess server, string path) =>
        server.Probe = await AllocationProbeClient.ConnectAsync(path, TimeSpan.FromSeconds(5));
}
