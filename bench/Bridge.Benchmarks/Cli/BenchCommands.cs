using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using Bridge.Benchmarks.Load;
using Bridge.Benchmarks.Scenarios;
using Bridge.Benchmarks.Servers;

namespace Bridge.Benchmarks.Cli;

/// <summary>The command line: <c>run</c> (the real measurement) and <c>smoke</c> (seconds long, every check on).</summary>
internal static class BenchCommands
{
    public static RootCommand Create(Func<BenchSettings, CancellationToken, Task<int>> execute, string defaultOutput)
    {
        var defaults = new BenchSettings();
        var servers = new Option<IReadOnlyList<ServerKind>>("--servers")
        {
            Description = "Servers to compare, comma-separated: bridge, signalr, naive, raw, nchan.",
            CustomParser = r => ParseList<ServerKind>(r),
            DefaultValueFactory = _ => defaults.Servers,
        };
        var scenarios = new Option<IReadOnlyList<ScenarioId>>("--scenarios")
        {
            Description = "Scenarios, comma-separated letters: a throughput, b latency, c idle density, d publisher stream, e browsers→backend, f churn, g throughput over JSON and SSE (d, e, f, g: bridge only).",
            CustomParser = r => ParseList<ScenarioId>(r),
            DefaultValueFactory = _ => defaults.Scenarios,
        };
        var repeat = new Option<int>("--repeat") { Description = "Repetitions; the report shows medians.", DefaultValueFactory = _ => defaults.Repeat };
        var subscribers = new Option<int>("--subscribers") { Description = "Subscribers in (a), (b) and (g).", DefaultValueFactory = _ => defaults.Subscribers };
        var duration = new Option<TimeSpan>("--duration") { Description = "Measuring window of each scenario: 10s, 500ms, 2m.", CustomParser = ParseDuration, DefaultValueFactory = _ => defaults.Duration };
        var warmup = new Option<TimeSpan>("--warmup") { Description = "Load before each measuring window.", CustomParser = ParseDuration, DefaultValueFactory = _ => defaults.Warmup };
        var output = new Option<string>("--out") { Description = "Folder for results.md, results.json and the charts.", DefaultValueFactory = _ => defaultOutput };
        var window = new Option<int>("--window") { Description = "(a), (g): messages in flight at most, the same for every server.", DefaultValueFactory = _ => defaults.Window };
        var rate = new Option<int>("--rate") { Description = "(b): offered messages per second.", DefaultValueFactory = _ => defaults.Rate };
        var idle = new Option<int>("--idle-connections") { Description = "(c): idle connections; 0 = as many as the open-file limit allows.", DefaultValueFactory = _ => defaults.IdleConnections };
        var receiver = new Option<ReceiverKind>("--receiver") { Description = "How the generator reads its sockets: epoll (one thread) or async (Socket.ReceiveAsync loops).", DefaultValueFactory = _ => defaults.Receiver };

        var run = new Command("run", "Start the servers on loopback and measure them side by side.")
        {
            servers, scenarios, repeat, subscribers, duration, warmup, output, window, rate, idle, receiver,
        };
        run.SetAction((result, cancellationToken) => execute(
            new BenchSettings
            {
                Servers = result.GetValue(servers)!,
                Scenarios = result.GetValue(scenarios)!,
                Repeat = Math.Max(1, result.GetValue(repeat)),
                Subscribers = Math.Max(1, result.GetValue(subscribers)),
                Duration = result.GetValue(duration),
                Warmup = result.GetValue(warmup),
                OutputDirectory = result.GetValue(output)!,
                Window = Math.Max(1, result.GetValue(window)),
                Rate = Math.Max(1, result.GetValue(rate)),
                IdleConnections = Math.Max(0, result.GetValue(idle)),
                Receiver = result.GetValue(receiver),
            },
            cancellationToken));

        var smokeOutput = new Option<string?>("--out") { Description = "Folder for the results (default: a new temporary folder)." };
        var smokeReceiver = new Option<ReceiverKind>("--receiver") { Description = receiver.Description, DefaultValueFactory = _ => defaults.Receiver };
        var smoke = new Command("smoke", "A seconds-long run with tiny sizes: bridge, naive, raw ceiling and SignalR, scenarios a–g, every check on.")
        {
            smokeOutput, smokeReceiver,
        };
        smoke.SetAction((result, cancellationToken) =>
        {
            var folder = result.GetValue(smokeOutput) ?? Directory.CreateTempSubdirectory("bridge-bench-smoke-").FullName;
            return execute(BenchSettings.ForSmoke(folder) with { Receiver = result.GetValue(smokeReceiver) }, cancellationToken);
        });

        return new RootCommand("Bridge benchmarks: the bridge against SignalR, a naive broadcaster, a C epoll ceiling and nchan, on loopback.") { run, smoke };
    }

    private static List<T> ParseList<T>(ArgumentResult result)
        where T : struct, Enum
    {
        var items = new List<T>();
        foreach (var token in result.Tokens.SelectMany(t => t.Value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)))
        {
            if (Enum.TryParse<T>(token, ignoreCase: true, out var value) && !int.TryParse(token, CultureInfo.InvariantCulture, out _))
            {
                items.Add(value);
            }
            else
            {
                result.AddError($"'{token}' is not one of: {string.Join(", ", Enum.GetNames<T>().Select(n => n.ToLowerInvariant()))}");
            }
        }

        return [.. items.Distinct()];
    }

    private static TimeSpan ParseDuration(ArgumentResult result)
    {
        var text = result.Tokens.Count > 0 ? result.Tokens[0].Value.Trim() : "";
        var (number, unit) = text.EndsWith("ms", StringComparison.Ordinal) ? (text[..^2], 0.001)
            : text.EndsWith('s') ? (text[..^1], 1.0)
            : text.EndsWith('m') ? (text[..^1], 60.0)
            : (text, 1.0);
        if (double.TryParse(number, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && value >= 0)
        {
            return TimeSpan.FromSeconds(value * unit);
        }

        result.AddError($"'{text}' is not a duration such as 10s, 500ms or 2m");
        return TimeSpan.Zero;
    }
}
