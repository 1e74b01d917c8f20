using Bridge.Benchmarks.Load;
using Bridge.Benchmarks.Scenarios;
using Bridge.Benchmarks.Servers;

namespace Bridge.Benchmarks.Cli;

/// <summary>Everything a run is told, with the defaults of a full run.</summary>
internal sealed record BenchSettings
{
    public IReadOnlyList<ServerKind> Servers { get; init; } = [ServerKind.Bridge, ServerKind.SignalR, ServerKind.Naive, ServerKind.Raw, ServerKind.Nchan];

    public IReadOnlyList<ScenarioId> Scenarios { get; init; } = [ScenarioId.A, ScenarioId.B, ScenarioId.C, ScenarioId.D, ScenarioId.E, ScenarioId.F, ScenarioId.G];

    public int Repeat { get; init; } = 3;

    /// <summary>Subscribers in (a), (b) and (g).</summary>
    public int Subscribers { get; init; } = 1000;

    /// <summary>The measuring window of each scenario.</summary>
    public TimeSpan Duration { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Publishing before the measuring window starts.</summary>
    public TimeSpan Warmup { get; init; } = TimeSpan.FromSeconds(3);

    public string OutputDirectory { get; init; } = "bench/results";

    /// <summary>(a), (g): messages in flight at most (published, not yet received by every subscriber). The same for every server.</summary>
    public int Window { get; init; } = 64;

    /// <summary>(a): payload sizes in bytes.</summary>
    public IReadOnlyList<int> PayloadSizes { get; init; } = [64, 4096];

    /// <summary>(g): payload sizes in bytes, each run over JSON and over SSE.</summary>
    public IReadOnlyList<int> ProtocolPayloadSizes { get; init; } = [64, 4096];

    /// <summary>(b): offered messages per second.</summary>
    public int Rate { get; init; } = 200;

    /// <summary>(b), (c), (d), (e), (f): payload size in bytes.</summary>
    public int SmallPayload { get; init; } = 64;

    /// <summary>(c): idle connections; 0 means as many as the open-file limit allows.</summary>
    public int IdleConnections { get; init; }

    /// <summary>(d): updates in flight at most (sent, not yet acked).</summary>
    public int PublisherWindow { get; init; } = 256;

    /// <summary>(e): browser connections sending.</summary>
    public int Browsers { get; init; } = 100;

    /// <summary>(e): messages in flight per browser (sent, not yet at the backend).</summary>
    public int BrowserWindow { get; init; } = 16;

    /// <summary>(f): connections opening and closing at once.</summary>
    public int ChurnWorkers { get; init; } = 32;

    /// <summary>(f): steady subscribers checked for loss while the others churn.</summary>
    public int ChurnSubscribers { get; init; } = 100;

    /// <summary>(f): messages per second published meanwhile.</summary>
    public int ChurnRate { get; init; } = 500;

    public ReceiverKind Receiver { get; init; } = ReceiverKind.Epoll;

    /// <summary>Whether this is the smoke run (small sizes, results in a temporary folder).</summary>
    public bool Smoke { get; init; }

    /// <summary>Defaults of <c>smoke</c>: seconds long, tiny sizes, every check on.</summary>
    public static BenchSettings ForSmoke(string outputDirectory) => new()
    {
        Servers = [ServerKind.Bridge, ServerKind.Naive, ServerKind.Raw, ServerKind.SignalR],
        Scenarios = [ScenarioId.A, ScenarioId.B, ScenarioId.C, ScenarioId.D, ScenarioId.E, ScenarioId.F, ScenarioId.G],
        Repeat = 1,
        Subscribers = 20,
        Duration = TimeSpan.FromSeconds(1),
        Warmup = TimeSpan.FromSeconds(0.5),
        OutputDirectory = outputDirectory,
        Rate = 500,
        IdleConnections = 200,
        Browsers = 10,
        ChurnWorkers = 4,
        ChurnSubscribers = 10,
        ChurnRate = 200,
        // 64 B events already cross chunk and read boundaries mid-event: every parsing path of (g), in half the time.
        ProtocolPayloadSizes = [64],
        Smoke = true,
    };
}
