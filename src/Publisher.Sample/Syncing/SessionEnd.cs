namespace Publisher.Sample.Syncing;

/// <summary>How a <see cref="BridgeSession"/> ended.</summary>
/// <param name="WasConnected">Whether the bridge had confirmed the session's Listen, i.e. the stream worked.</param>
/// <param name="Reason">Why it ended, for the log: a gRPC status or the failure's message.</param>
internal sealed record SessionEnd(bool WasConnected, string Reason);
