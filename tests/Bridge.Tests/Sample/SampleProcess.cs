using System.Reflection;
using Bridge.Tests.Infrastructure;

namespace Bridge.Tests.Sample;

/// <summary>
/// The built <c>Publisher.Sample</c> running as its own process, as it would in production. Keeps
/// everything it prints for failure messages; disposing kills it if it is still running.
/// </summary>
internal sealed class SampleProcess : IAsyncDisposable
{
    private readonly ChildProcess _process;

    private SampleProcess(ChildProcess process) => _process = process;

    public bool HasExited => _process.HasExited;

    /// <summary>Starts the sample with <c>--bridge <paramref name="bridge"/></c> (a string, so tests can pass bad ones).</summary>
    public static SampleProcess Start(string bridge)
    {
        var dll = SampleAssemblyPath();

        // The sample's own decisions (applied, published, ignored) make a failure message self-explaining.
        string[] arguments = [dll, "--bridge", bridge, "--Logging:LogLevel:Publisher.Sample=Debug"];
        var host = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet";
        return new SampleProcess(ChildProcess.Start(host, arguments, Path.GetDirectoryName(dll)!, new Dictionary<string, string?>()));
    }

    /// <summary>Its state and everything it printed, for assertion messages.</summary>
    public string Describe() =>
        $"Publisher.Sample (pid {_process.Id}) {(_process.HasExited ? "has exited" : "still running")}; its output:\n{_process.Output}";

    /// <summary>Waits for the process to end on its own and returns its exit code.</summary>
    public Task<int> WaitForExitAsync() => _process.WaitForExitAsync(TestTimeouts.Signal);

    public ValueTask DisposeAsync() => _process.DisposeAsync();

    /// <summary>
    /// The sample as this test run built it: the test project builds it through a project reference,
    /// into src/Publisher.Sample/bin/&lt;same configuration&gt;/&lt;same framework&gt;/.
    /// </summary>
    private static string SampleAssemblyPath()
    {
        var configuration = typeof(SampleProcess).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration
            ?? throw new InvalidOperationException("the test assembly does not say which configuration built it");
        var framework = Path.GetFileName(Path.TrimEndingDirectorySeparator(AppContext.BaseDirectory));
        var dll = Path.Combine(Repository.Root, "src", "Publisher.Sample", "bin", configuration, framework, "Publisher.Sample.dll");
        return File.Exists(dll) ? dll : throw new FileNotFoundException($"Publisher.Sample is not built at {dll}; build the solution first.", dll);
    }
}
