using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Bridge.Benchmarks.Infrastructure;
using Bridge.Benchmarks.Publishers;

namespace Bridge.Benchmarks.Servers;

/// <summary>
/// nginx with nchan, run by bench/servers/nchan/run.sh (one worker, foreground) after its
/// install.sh has installed Debian's packages if missing: subscribers on <c>/sub/bench</c>,
/// publishing by HTTP POST to <c>/pub/bench</c>. nginx takes a real port, so one is picked here.
/// </summary>
internal sealed class NchanServer : ServerDefinition
{
    private const string Folder = "bench/servers/nchan";

    public override ServerKind Kind => ServerKind.Nchan;

    public override string SubscribeTarget => "/sub/bench";

    public override async Task<string?> PrepareAsync(BenchContext context, CancellationToken cancellationToken)
    {
        var install = context.Layout.PathOf(Folder + "/install.sh");
        if (!File.Exists(install) || !File.Exists(context.Layout.PathOf(Folder + "/run.sh")))
        {
            return $"{Folder}/install.sh or run.sh does not exist";
        }

        context.Console.Line("nchan: running install.sh (installs nginx-light and libnginx-mod-nchan if missing)");
        var (exitCode, output) = await Commands.RunAsync("bash", [install], context.Layout.Root, TimeSpan.FromMinutes(5), cancellationToken);
        return exitCode == 0 ? null : $"{Folder}/install.sh failed ({exitCode}): {output}";
    }

    public override async Task<ServerProcess> StartAsync(BenchContext context, CancellationToken cancellationToken)
    {
        var port = FreePort();
        var runDirectory = Path.Combine(context.WorkDirectory, $"nchan-{Guid.NewGuid():N}");
        Directory.CreateDirectory(runDirectory);
        var server = context.Track(ServerProcess.Start(
            "0",
            "bash",
            [context.Layout.PathOf(Folder + "/run.sh"), port.ToString(CultureInfo.InvariantCulture), runDirectory],
            new Dictionary<string, string?>(),
            context.WorkDirectory));
        try
        {
            var listening = await server.WaitForLineAsync(ListeningLine(), TimeSpan.FromSeconds(20), cancellationToken);
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
        await NchanPublisher.ConnectAsync(server.HttpPort, payloadSize, cancellationToken);

    private static int FreePort()
    {
        using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        probe.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)probe.LocalEndPoint!).Port;
    }
}
