using Bridge.Benchmarks.Cli;
using Bridge.Benchmarks.Servers;

namespace Bridge.Benchmarks.Infrastructure;

/// <summary>What every part of a run shares: the settings, the repository, a scratch folder, the console.</summary>
internal sealed class BenchContext(BenchSettings settings, RepoLayout layout, string workDirectory, BenchConsole console)
{
    public BenchSettings Settings { get; } = settings;

    public RepoLayout Layout { get; } = layout;

    /// <summary>Scratch space for this run: built binaries, probe sockets, nginx's run folders.</summary>
    public string WorkDirectory { get; } = workDirectory;

    public BenchConsole Console { get; } = console;

    private readonly List<ServerProcess> _servers = [];

    /// <summary>Remembers a started server, so that one a timed-out scenario left behind still gets stopped.</summary>
    public ServerProcess Track(ServerProcess server)
    {
        lock (_servers)
        {
            _servers.Add(server);
        }

        return server;
    }

    /// <summary>Stops every tracked server that is still running.</summary>
    public async Task StopLeftoverServersAsync()
    {
        ServerProcess[] servers;
        lock (_servers)
        {
            servers = [.. _servers];
            _servers.Clear();
        }

        foreach (var server in servers)
        {
            await server.DisposeAsync();
        }
    }
}
