using System.Net;
using Bridge.Benchmarks.Infrastructure;
using Bridge.Benchmarks.Load;
using Bridge.Benchmarks.Servers;

namespace Bridge.Benchmarks.Scenarios;

/// <summary>One scenario against one server in one repetition: what it needs, and where its result goes.</summary>
internal sealed class ScenarioRun(BenchContext context, ServerDefinition server, ScenarioId scenario, int payloadSize, string variant, int repetition, SubscriberMode mode = SubscriberMode.Plain)
{
    public BenchContext Context { get; } = context;

    public ServerDefinition Server { get; } = server;

    public ScenarioId Scenario { get; } = scenario;

    public int PayloadSize { get; } = payloadSize;

    /// <summary>How the subscribers connect: plain WebSockets except in (g).</summary>
    public SubscriberMode Mode { get; } = mode;

    public ScenarioResult Result { get; } = new()
    {
        Server = server.Name,
        Scenario = scenario.ToString().ToLowerInvariant(),
        Variant = variant,
        Repetition = repetition,
    };

    public string Label => $"{Server.Name} ({Result.Scenario}){(Result.Variant.Length > 0 ? " " + Result.Variant : "")} rep {Result.Repetition}/{Context.Settings.Repeat}";

    public void Progress(string text) => Context.Console.Line($"[{Label}] {text}");

    public static IPEndPoint EndPoint(ServerProcess server) => new(IPAddress.Loopback, server.HttpPort);
}
