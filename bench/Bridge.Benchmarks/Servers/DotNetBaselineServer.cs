using System.Globalization;
using Bridge.Benchmarks.Infrastructure;

namespace Bridge.Benchmarks.Servers;

/// <summary>A baseline under bench/servers written in C#: <c>dotnet X.dll --port 0</c>, ready at <c>LISTENING port</c>.</summary>
internal abstract class DotNetBaselineServer(string projectDirectory, string assemblyName) : ServerDefinition
{
    public override bool IsDotNet => true;

    public override Task<string?> PrepareAsync(BenchContext context, CancellationToken cancellationToken) =>
        Task.FromResult(MissingBuild(context.Layout.Output(projectDirectory, assemblyName), context.Layout.Output("bench/AllocationProbe", "AllocationProbe")));

    public override async Task<ServerProcess> StartAsync(BenchContext context, CancellationToken cancellationToken)
    {
        var probe = NewProbeSocket(context);
        var server = context.Track(ServerProcess.Start("0", "dotnet", [context.Layout.Output(projectDirectory, assemblyName), "--port", "0"], DotNetEnvironment(context, probe), context.WorkDirectory));
        try
        {
            var listening = await server.WaitForLineAsync(ListeningLine(), TimeSpan.FromSeconds(30), cancellationToken);
            server.HttpPort = int.Parse(listening.Groups[1].Value, CultureInfo.InvariantCulture);
            await AttachProbeAsync(server, probe);
            return server;
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }
}
