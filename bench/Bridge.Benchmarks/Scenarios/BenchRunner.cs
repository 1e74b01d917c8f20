using System.Diagnostics;
using System.Globalization;
using Bridge.Benchmarks.Infrastructure;
using Bridge.Benchmarks.Load;
using Bridge.Benchmarks.Reporting;
using Bridge.Benchmarks.Servers;

namespace Bridge.Benchmarks.Scenarios;

/// <summary>
/// Runs the plan: for each repetition, each scenario, each payload size, every server in turn
/// (ABCD ABCD ABCD), each run on a freshly started server. A scenario that throws or hangs fails
/// on its own; the run goes on.
/// </summary>
internal sealed class BenchRunner(BenchContext context)
{
    public async Task<RunReport> RunAsync(CancellationToken cancellationToken)
    {
        var settings = context.Settings;
        var started = DateTimeOffset.UtcNow;
        var servers = new List<ServerDefinition>();
        var unavailable = new Dictionary<string, string>();
        foreach (var kind in settings.Servers)
        {
            var server = ServerDefinition.For(kind);
            context.Console.Line($"preparing {server.Name}");
            if (await server.PrepareAsync(context, cancellationToken) is { } problem)
            {
                context.Console.Line($"{server.Name} cannot run: {problem}");
                unavailable[server.Name] = problem;
            }
            else
            {
                servers.Add(server);
            }
        }

        var plan = Plan(servers).ToList();
        context.Console.Line($"{plan.Count} scenario runs planned ({settings.Repeat} repetition(s); servers: {string.Join(", ", servers.Select(s => s.Name))})");
        var results = new List<ScenarioResult>();
        for (var i = 0; i < plan.Count; i++)
        {
            var run = plan[i];
            context.Console.Line($"=== {i + 1}/{plan.Count} {run.Label}");
            await RunOneAsync(run, cancellationToken);
            results.Add(run.Result);
            Summarize(run);
        }

        return new RunReport(settings, context.Layout, started, context.Console.Elapsed, results, unavailable);
    }

    private IEnumerable<ScenarioRun> Plan(List<ServerDefinition> servers)
    {
        var settings = context.Settings;
        for (var repetition = 1; repetition <= settings.Repeat; repetition++)
        {
            foreach (var scenario in settings.Scenarios)
            {
                var sizes = scenario switch
                {
                    ScenarioId.A => settings.PayloadSizes,
                    ScenarioId.G => settings.ProtocolPayloadSizes,
                    _ => [settings.SmallPayload],
                };
                foreach (var size in sizes)
                {
                    foreach (var server in servers.Where(s => Applies(scenario, s.Kind)))
                    {
                        if (scenario == ScenarioId.G)
                        {
                            foreach (var mode in OtherProtocols)
                            {
                                yield return new ScenarioRun(context, server, scenario, size, ProtocolVariant(mode, size), repetition, mode);
                            }
                        }
                        else
                        {
                            yield return new ScenarioRun(context, server, scenario, size, scenario == ScenarioId.A ? SizeLabel(size) : "", repetition);
                        }
                    }
                }
            }
        }
    }

    /// <summary>(g)'s subscriber protocols, besides (a)'s plain WebSockets.</summary>
    public static readonly SubscriberMode[] OtherProtocols = [SubscriberMode.Json, SubscriberMode.Sse];

    /// <summary>(g)'s variant: protocol and payload size, "json 64 B".</summary>
    public static string ProtocolVariant(SubscriberMode mode, int size) => mode.ToString().ToLowerInvariant() + " " + SizeLabel(size);

    /// <summary>(a), (b), (c) compare every server; (d), (e), (f), (g) exercise the bridge's own paths.</summary>
    public static bool Applies(ScenarioId scenario, ServerKind server) =>
        scenario is ScenarioId.A or ScenarioId.B or ScenarioId.C || server == ServerKind.Bridge;

    public static string SizeLabel(int bytes) =>
        bytes % 1024 == 0 ? string.Create(CultureInfo.InvariantCulture, $"{bytes / 1024} KiB") : string.Create(CultureInfo.InvariantCulture, $"{bytes} B");

    private async Task RunOneAsync(ScenarioRun run, CancellationToken cancellationToken)
    {
        var settings = context.Settings;
        var limit = (2 * (settings.Warmup + settings.Duration)) + TimeSpan.FromMinutes(run.Scenario == ScenarioId.C ? 5 : 2);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(limit);
        var clock = Stopwatch.StartNew();
        var scenario = run.Scenario switch
        {
            ScenarioId.A or ScenarioId.G => ThroughputScenario.RunAsync(run, timeout.Token),
            ScenarioId.B => LatencyScenario.RunAsync(run, timeout.Token),
            ScenarioId.C => IdleDensityScenario.RunAsync(run, timeout.Token),
            ScenarioId.D => PublisherStreamScenario.RunAsync(run, timeout.Token),
            ScenarioId.E => ClientToBackendScenario.RunAsync(run, timeout.Token),
            ScenarioId.F => ChurnScenario.RunAsync(run, timeout.Token),
            _ => throw new ArgumentOutOfRangeException(nameof(run)),
        };
        try
        {
            // A scenario stuck where no token reaches (a blocked write) is abandoned after the limit.
            await scenario.WaitAsync(limit + TimeSpan.FromSeconds(30), cancellationToken);
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            run.Result.Fail(ex switch
            {
                ScenarioFailedException => ex.Message,
                TimeoutException or OperationCanceledException => $"did not finish within {limit.TotalSeconds:0} s",
                _ => $"{ex.GetType().Name}: {ex.Message}",
            });
        }
        finally
        {
            run.Result.Seconds = clock.Elapsed.TotalSeconds;
            await context.StopLeftoverServersAsync();
        }
    }

    private void Summarize(ScenarioRun run)
    {
        var result = run.Result;
        var headline = Tables.Headline(result);
        if (result.Passed)
        {
            context.Console.Line($"[{run.Label}] PASSED in {result.Seconds:0.0} s: {headline}");
        }
        else
        {
            context.Console.Line($"[{run.Label}] FAILED in {result.Seconds:0.0} s: {headline}");
            foreach (var error in result.Errors.Take(5))
            {
                context.Console.Line($"    {error}");
            }
        }

        foreach (var note in result.Notes)
        {
            context.Console.Line($"    note: {note}");
        }
    }
}
