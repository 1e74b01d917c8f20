using System.Globalization;
using Bridge.Benchmarks.Infrastructure;
using Bridge.Benchmarks.Publishers;

namespace Bridge.Benchmarks.Servers;

/// <summary>
/// The C epoll server of bench/servers/raw-ceiling, compiled here with gcc -O2: subscribers on
/// <c>/ws</c>, the publisher a WebSocket on <c>/pub</c>.
/// </summary>
internal sealed class RawCeilingServer : ServerDefinition
{
    private const string Source = "bench/servers/raw-ceiling/raw_ceiling.c";

    public override ServerKind Kind => ServerKind.Raw;

    public override string SubscribeTarget => "/ws";

    public override async Task<string?> PrepareAsync(BenchContext context, CancellationToken cancellationToken)
    {
        var source = context.Layout.PathOf(Source);
        if (!File.Exists(source))
        {
            return $"{Source} does not exist";
        }

        var (exitCode, output) = await Commands.RunAsync("gcc", ["-O2", "-o", Binary(context), source], context.Layout.Root, TimeSpan.FromMinutes(1), cancellationToken);
        return exitCode == 0 ? null : $"gcc -O2 {Source} failed ({exitCode}): {output}";
    }

    public override async Task<ServerProcess> StartAsync(BenchContext context, CancellationToken cancellationToken)
    {
        var server = context.Track(ServerProcess.Start("0", Binary(context), ["--port", "0"], new Dictionary<string, string?>(), context.WorkDirectory));
        try
        {
            var listening = await server.WaitForLineAsync(ListeningLine(), TimeSpan.FromSeconds(10), cancellationToken);
            server.HttpPort = int.Parse(listening.Groups[1].Value, CultureInfo.InvariantCulture);
            return server;
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    public override async Task<IPublisher> ConnectPublisherAsync(ServerProcess server, int payloadSize, CancellationToken cancellationToken) =>
        await WebSocketPublisher.ConnectAsync(server.HttpPort, "/pub", payloadSize, cancellationToken);

    private static string Binary(BenchContext context) => Path.Combine(context.WorkDirectory, "raw-ceiling");
}
