using System.Diagnostics;
using Bridge.Benchmarks.Cli;
using Bridge.Benchmarks.Infrastructure;
using Bridge.Benchmarks.Load;
using Bridge.Benchmarks.Reporting;
using Bridge.Benchmarks.Scenarios;

var layout = RepoLayout.Locate();
var root = BenchCommands.Create(ExecuteAsync, Path.Combine(layout.Root, "bench", "results"));
return await root.Parse(args).InvokeAsync();

async Task<int> ExecuteAsync(BenchSettings settings, CancellationToken cancellationToken)
{
    if (settings.Receiver == ReceiverKind.Async)
    {
        // Run socket continuations on .NET's epoll thread instead of the thread pool (read once, at first socket use).
        Environment.SetEnvironmentVariable("DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS", "1");
    }

    var console = new BenchConsole();
    var openFiles = Native.RaiseOpenFileLimit();
    using (var self = Process.GetCurrentProcess())
    {
        if (OperatingSystem.IsLinux() && Environment.ProcessorCount >= 2)
        {
            // The servers get core 0 (taskset), the load generator core 1.
            self.ProcessorAffinity = 2;
        }
    }

    console.Line($"{(settings.Smoke ? "smoke" : "run")}: servers {string.Join(",", settings.Servers).ToLowerInvariant()}; scenarios {string.Join(",", settings.Scenarios).ToLowerInvariant()}; " +
        $"{settings.Repeat} repetition(s); {settings.Subscribers} subscribers; {settings.Duration.TotalSeconds} s windows; open files {openFiles}; servers built {layout.Configuration}");
    if (!settings.Smoke && layout.Configuration != "Release")
    {
        console.Line($"WARNING: the servers are a {layout.Configuration} build; run with -c Release for numbers that mean something.");
    }

    var work = Directory.CreateTempSubdirectory("bridge-bench-");
    var context = new BenchContext(settings, layout, work.FullName, console);
    try
    {
        var report = await new BenchRunner(context).RunAsync(cancellationToken);
        var output = Path.GetFullPath(settings.OutputDirectory);
        Directory.CreateDirectory(output);
        File.WriteAllText(Path.Combine(output, "results.md"), Tables.Markdown(report));
        JsonReport.Write(report, Path.Combine(output, "results.json"));
        var charts = Charts.Write(report, output);
        console.Line($"wrote {Path.Combine(output, "results.md")}, results.json{string.Concat(charts.Select(c => ", " + c))}");
        var failed = report.Results.Count(r => !r.Passed);
        console.Line(report.Passed
            ? $"ALL CHECKS PASSED: {report.Results.Count} scenario runs in {console.Elapsed.TotalSeconds:0} s"
            : $"FAILED: {failed} of {report.Results.Count} scenario runs failed a check{(report.Unavailable.Count > 0 ? $"; not run: {string.Join(", ", report.Unavailable.Keys)}" : "")}");
        return report.Passed ? 0 : 1;
    }
    finally
    {
        await context.StopLeftoverServersAsync();
        work.Delete(recursive: true);
    }
}
