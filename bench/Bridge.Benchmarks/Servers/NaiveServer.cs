using Bridge.Benchmarks.Publishers;

namespace Bridge.Benchmarks.Servers;

/// <summary>The tutorial broadcaster: subscribers on <c>/ws</c>, the publisher a WebSocket on <c>/pub</c>.</summary>
internal sealed class NaiveServer() : DotNetBaselineServer("bench/servers/NaiveBroadcaster", "NaiveBroadcaster")
{
    public override ServerKind Kind => ServerKind.Naive;

    public override string SubscribeTarget => "/ws";

    public override async Task<IPublisher> ConnectPublisherAsync(ServerProcess server, int payloadSize, CancellationToken cancellationToken) =>
        await WebSocketPublisher.ConnectAsync(server.HttpPort, "/pub", payloadSize, cancellationToken);
}
