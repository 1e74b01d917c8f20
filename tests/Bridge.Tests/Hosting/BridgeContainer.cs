using System.Text.RegularExpressions;
using Bridge.Tests.Infrastructure;

namespace Bridge.Tests.Hosting;

/// <summary>
/// The published bridge started the way its image starts it (ENTRYPOINT, WORKDIR, ENV), as a
/// process on this machine, with the addresses it reported binding to.
/// </summary>
internal sealed partial class BridgeContainer : IAsyncDisposable
{
    private BridgeContainer(ChildProcess process, Uri httpUri, Uri grpcUri)
    {
        Process = process;
        HttpUri = httpUri;
        GrpcUri = grpcUri;
    }

    public ChildProcess Process { get; }

    public Uri HttpUri { get; }

    public Uri GrpcUri { get; }

    /// <summary>Starts the process and waits for the two "listener ... bound to" lines it logs once started.</summary>
    public static async Task<BridgeContainer> StartAsync(
        IReadOnlyList<string> entrypoint,
        string workingDirectory,
        IReadOnlyDictionary<string, string?> environment,
        TimeSpan timeout)
    {
        var process = ChildProcess.Start(DockerfileFixture.Executable(entrypoint[0]), entrypoint.Skip(1), workingDirectory, environment, inherit: false);
        try
        {
            var http = await process.WaitForLineAsync(HttpListenerLine(), timeout);
            var grpc = await process.WaitForLineAsync(GrpcListenerLine(), timeout);
            return new BridgeContainer(process, new Uri("http://" + http.Groups["endpoint"].Value), new Uri("http://" + grpc.Groups["endpoint"].Value));
        }
        catch
        {
            await process.DisposeAsync();
            throw;
        }
    }

    public ValueTask DisposeAsync() => Process.DisposeAsync();

    [GeneratedRegex(@"HTTP listener .* bound to http://(?<endpoint>[^\s""]+)")]
    private static partial Regex HttpListenerLine();

    [GeneratedRegex(@"gRPC listener .* bound to http://(?<endpoint>[^\s""]+)")]
    private static partial Regex GrpcListenerLine();
}
