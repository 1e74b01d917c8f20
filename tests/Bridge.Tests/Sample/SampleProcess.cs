using System.Diagnostics;
using System.Reflection;
using Bridge.Tests.Infrastructure;

namespace Bridge.Tests.Sample;

/// <summary>
/// The built <c>Publisher.Sample</c> running as its own process, as it would in production. Keeps
/// everything it prints for failure messages; disposing kills it if it is still running.
/// </summary>
internal sealed class SampleProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly Lock _gate = new();
    private readonly List<string> _lines = [];

    private SampleProcess(Process process) => _process = process;

    public bool HasExited => _process.HasExited;

    /// <summary>Starts the sample with <c>--bridge <paramref name="bridge"/></c> (a string, so tests can pass bad ones).</summary>
    public static SampleProcess Start(string bridge)
    {
        var dll = SampleAssemblyPath();
        var info = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            WorkingDirectory = Path.GetDirectoryName(dll)!,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(dll);
        info.ArgumentList.Add("--bridge");
        info.ArgumentList.Add(bridge);
        // The sample's own decisions (applied, published, ignored) make a failure message self-explaining.
        info.ArgumentList.Add("--Logging:LogLevel:Publisher.Sample=Debug");

        var process = new Process { StartInfo = info };
        var sample = new SampleProcess(process);
        process.OutputDataReceived += (_, e) => sample.Append(e.Data, string.Empty);
        process.ErrorDataReceived += (_, e) => sample.Append(e.Data, "stderr: ");
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return sample;
    }

    /// <summary>Its state and everything it printed, for assertion messages.</summary>
    public string Describe()
    {
        var state = _process.HasExited ? $"exited with code {_process.ExitCode}" : "still running";
        lock (_gate)
        {
            return $"Publisher.Sample (pid {_process.Id}) {state}; its output:\n" + string.Join('\n', _lines);
        }
    }

    /// <summary>Waits for the process to end on its own and returns its exit code.</summary>
    public async Task<int> WaitForExitAsync()
    {
        try
        {
            await _process.WaitForExitAsync().WaitAsync(TestTimeouts.Signal);
        }
        catch (TimeoutException)
        {
            Assert.Fail($"expected the sample to exit within {TestTimeouts.Signal}. {Describe()}");
        }

        return _process.ExitCode;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            try
            {
                _process.Kill(entireProcessTree: true);
            }
            catch (InvalidOperationException)
            {
                // It exited between the check and the kill: nothing left to stop.
            }

            await _process.WaitForExitAsync().WaitAsync(TestTimeouts.Signal);
        }

        _process.Dispose();
    }

    private void Append(string? line, string prefix)
    {
        if (line is null)
        {
            return; // end of the stream
        }

        lock (_gate)
        {
            _lines.Add(prefix + line);
        }
    }

    /// <summary>
    /// The sample as this test run built it: the test project builds it through a project reference,
    /// into src/Publisher.Sample/bin/&lt;same configuration&gt;/&lt;same framework&gt;/.
    /// </summary>
    private static string SampleAssemblyPath()
    {
        var configuration = typeof(SampleProcess).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration
            ?? throw new InvalidOperationException("the test assembly does not say which configuration built it");
        var framework = Path.GetFileName(Path.TrimEndingDirectorySeparator(AppContext.BaseDirectory));
        var dll = Path.Combine(RepositoryRoot(), "src", "Publisher.Sample", "bin", configuration, framework, "Publisher.Sample.dll");
        return File.Exists(dll) ? dll : throw new FileNotFoundException($"Publisher.Sample is not built at {dll}; build the solution first.", dll);
    }

    private static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Bridge.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException($"no Bridge.sln above {AppContext.BaseDirectory}");
    }
}
