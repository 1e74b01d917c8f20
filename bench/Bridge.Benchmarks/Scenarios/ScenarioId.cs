namespace Bridge.Benchmarks.Scenarios;

/// <summary>The scenarios, by the letters the command line uses.</summary>
internal enum ScenarioId
{
    /// <summary>(a) Broadcast throughput, closed loop.</summary>
    A,

    /// <summary>(b) Latency at a fixed offered rate.</summary>
    B,

    /// <summary>(c) Idle connection density: memory per connection.</summary>
    C,

    /// <summary>(d) One Publish stream, no subscribers: acked updates/s (bridge only).</summary>
    D,

    /// <summary>(e) Browser → backend messages/s (bridge only).</summary>
    E,

    /// <summary>(f) Connection churn while publishing (bridge only).</summary>
    F,

    /// <summary>(g) Broadcast throughput as (a), over the JSON subprotocol and SSE (bridge only).</summary>
    G,
}
