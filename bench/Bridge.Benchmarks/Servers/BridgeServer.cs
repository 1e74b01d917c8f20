using System.Globalization;
using System.Text.RegularExpressions;
using Bridge.Benchmarks.Infrastructure;
using Bridge.Benchmarks.Load;
using Bridge.Benchmarks.Publishers;

namespace Bridge.Benchmarks.Servers;

/// <summary>
/// The bridge, its Release build started as <c>dotnet Bridge.dll</c> with both listeners on
/// loopback port 0; the bound ports come from its start-up log lines. Subscribers use
/// <c>/ws?topic=bench</c> (in (g) also the JSON subprotocol and SSE); the publisher is one gRPC <c>Publish</c> stream.
/// </summary>
internal sealed partial class BridgeServer : ServerDefinition
{
    public const string Topic = "bench";

    /// <summary>
    /// Per-connection queue: far above any backlog a scenario builds (the closed loop keeps at
    /// most the window in flight), so nothing here is closed as a slow consumer.
    /// </summary>
    private const int SendQueueLength = 65_536;

    public override ServerKind Kind => ServerKind.Bridge;

    public override string SubscribeTarget => "/ws?topic=" + Topic;

    public override bool IsDotNet => true;

    /// <summary>Plain WebSockets; JSON-subprotocol WebSockets to <c>/ws</c> that subscribe by request; SSE streams of <c>/sse?topic=bench</c>.</summary>
    public override SubscriberProtocol Subscribers(SubscriberMode mode) => mode switch
    {
        SubscriberMode.Json => new WebSocketSubscribers("/ws", null, new JsonEnvelopeDecoder(Topic), JsonEnvelopeDecoder.Subprotocol),
        SubscriberMode.Sse => new SseSubscribers("/sse?topic=" + Topic),
        _ => base.Subscribers(mode),
    };

    public override Task<string?> PrepareAsync(BenchContext context, CancellationToken cancellationToken) =>
        Task.FromResult(MissingBuild(Dll(context), context.Layout.Output("bench/AllocationProbe", "AllocationProbe")));

    public override async Task<ServerProcess> StartAsync(BenchContext context, CancellationToken cancellationToken)
    {
        var probe = NewProbeSocket(context);
        string[] arguments =
        [
            Dll(context),
            "--Bridge:HttpUrl=http://127.0.0.1:0",
            "--Bridge:GrpcUrl=http://127.0.0.1:0",
            "--Bridge:SendQueueLength=" + SendQueueLength.ToString(CultureInfo.InvariantCulture),
            "--Logging:LogLevel:Default=Warning",
            // The two "bound to" lines are information; keep them.
            "--Logging:LogLevel:Bridge.Hosting.LifetimeEvents=Information",
        ];
        var server = context.Track(ServerProcess.Start("0", "dotnet", arguments, DotNetEnvironment(context, probe), context.WorkDirectory));
        try
        {
            var http = await server.WaitForLineAsync(HttpLine(), TimeSpan.FromSeconds(30), cancellationToken);
            var grpc = await server.WaitForLineAsync(GrpcLine(), TimeSpan.FromSeconds(30), cancellationToken);
            server.HttpPort = int.Parse(http.Groups[1].Value, CultureInfo.InvariantCulture);
            server.GrpcPort = int.Parse(grpc.Groups[1].Value, CultureInfo.InvariantCulture);
            await AttachProbeAsync(server, probe);
            return server;
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    public override Task<IPublisher> ConnectPublisherAsync(ServerProcess server, int payloadSize, CancellationToken cancellationToken) =>
        Task.FromResult<IPublisher>(BridgePublisher.Connect(server.GrpcPort, Topic, payloadSize));

    private static string Dll(BenchContext context) => context.Layout.Output("src/Bridge", "Bridge");

    [GeneratedRegex(@"HTTP listener .* bound to http://\S+:(\d+)")]
    private static partial Regex HttpLine();

    [GeneratedRegex(@"gRPC listener .* bound to http://\S+:(\d+)")]
    private static partial Regex GrpcLine();
}
