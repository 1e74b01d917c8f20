namespace Bridge.Benchmarks.Servers;

/// <summary>The servers a run can compare, by the names the command line uses.</summary>
internal enum ServerKind
{
    /// <summary>The bridge itself (src/Bridge).</summary>
    Bridge,

    /// <summary>A SignalR group broadcast (bench/servers/SignalRBaseline).</summary>
    SignalR,

    /// <summary>The tutorial WebSocket broadcaster (bench/servers/NaiveBroadcaster).</summary>
    Naive,

    /// <summary>A C epoll server: the practical ceiling of this machine (bench/servers/raw-ceiling).</summary>
    Raw,

    /// <summary>nginx with the nchan module (bench/servers/nchan).</summary>
    Nchan,
}
