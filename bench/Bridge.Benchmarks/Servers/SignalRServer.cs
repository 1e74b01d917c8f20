using Bridge.Benchmarks.Load;
using Bridge.Benchmarks.Publishers;

namespace Bridge.Benchmarks.Servers;

/// <summary>
/// The SignalR baseline: subscribers open <c>/hub</c> as a plain WebSocket (no negotiate), send the
/// JSON handshake and a ping every 10 s; the publisher invokes <c>Publish</c>.
/// </summary>
internal sealed class SignalRServer() : DotNetBaselineServer("bench/servers/SignalRBaseline", "SignalRBaseline")
{
    private static readonly byte[] Handshake = ClientFrames.Create(ClientFrames.Text, SignalRDecoder.Handshake);

    public override ServerKind Kind => ServerKind.SignalR;

    public override string SubscribeTarget => "/hub";

    public override byte[]? SubscriberFirstFrame => Handshake;

    public override byte[]? SubscriberKeepAlive => SignalRDecoder.Ping;

    public override MessageDecoder Decoder => SignalRDecoder.Instance;

    public override async Task<IPublisher> ConnectPublisherAsync(ServerProcess server, int payloadSize, CancellationToken cancellationToken) =>
        await SignalRPublisher.ConnectSignalRAsync(server.HttpPort, payloadSize, cancellationToken);
}
