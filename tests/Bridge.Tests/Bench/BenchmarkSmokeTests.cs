using System.Text.Json;
using Bridge.Tests.Infrastructure;

namespace Bridge.Tests.Bench;

/// <summary>
/// Runs the benchmark tool's <c>smoke</c> command (bench/Bridge.Benchmarks, built with the tests) as
/// its own process: a seconds-long run of every scenario against the bridge and the baselines with
/// every correctness check on. Proves the benchmarks still work, not how fast anything is.
/// </summary>
public sealed class BenchmarkSmokeTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(4);

    /// <summary>What smoke runs: (a) twice (64 B, 4 KiB), (b), (c) on every server; (d), (e), (f), (g) on the bridge.</summary>
    private static readonly (string Server, string Scenario)[] Expected =
    [
        .. new[] { "bridge", "naive", "raw", "signalr" }.SelectMany(server => new[] { "a", "b", "c" }.Select(scenario => (server, scenario))),
        ("bridge", "d"),
        ("bridge", "e"),
        ("bridge", "f"),
        ("bridge", "g"),
    ];

    [Fact]
    public async Task Smoke_run_passes_every_check_for_every_server_and_scenario_and_writes_its_results()
    {
        var root = Repository.Root;
        var build = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        var tool = Path.Combine(root, "bench", "Bridge.Benchmarks", "bin", build.Parent!.Name, build.Name, "Bridge.Benchmarks.dll");
        Assert.True(File.Exists(tool), $"{tool} is not built (the test project references it so that it is)");

        var output = Directory.CreateTempSubdirectory("bridge-bench-smoke-test-");
        try
        {
            var (exitCode, printed) = await ChildProcess.RunAsync("dotnet", [tool, "smoke", "--out", output.FullName], root, new Dictionary<string, string?>(), Timeout);
            Assert.True(exitCode == 0, $"`dotnet Bridge.Benchmarks.dll smoke` exited with {exitCode}:\n{printed}");

            var markdown = await File.ReadAllTextAsync(Path.Combine(output.FullName, "results.md"));
            Assert.Contains("passed every check", markdown, StringComparison.Ordinal);

            using var json = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(output.FullName, "results.json")));
            Assert.True(json.RootElement.GetProperty("passed").GetBoolean(), printed);
            var runs = json.RootElement.GetProperty("runs").EnumerateArray()
                .Select(r => (Server: r.GetProperty("server").GetString()!, Scenario: r.GetProperty("scenario").GetString()!, Passed: r.GetProperty("passed").GetBoolean()))
                .ToList();
            foreach (var (server, scenario) in Expected)
            {
                var matching = runs.Where(r => r.Server == server && r.Scenario == scenario).ToList();
                Assert.True(matching.Count > 0, $"no result for {server} ({scenario}):\n{printed}");
                Assert.True(matching.All(r => r.Passed), $"{server} ({scenario}) failed its checks:\n{printed}");
            }

            // (a) runs twice per server (64 B and 4 KiB); (g) twice (JSON and SSE, at 64 B).
            Assert.Equal(Expected.Length + 4 + 1, runs.Count);
            Assert.Equal(2, runs.Count(r => r.Scenario == "g"));
            Assert.Contains("JSON = ", markdown, StringComparison.Ordinal);
            Assert.True(File.Exists(Path.Combine(output.FullName, "throughput.png")), "throughput.png was not written");
            Assert.True(File.Exists(Path.Combine(output.FullName, "latency-cdf.png")), "latency-cdf.png was not written");
        }
        finally
        {
            output.Delete(recursive: true);
        }
    }
}
