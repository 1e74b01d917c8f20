namespace Bridge.Connections;

/// <summary>The per-connection limits, resolved once from options and shared by every connection.</summary>
/// <param name="SendQueueLength">Entries per send queue.</param>
/// <param name="ReplayLimit">Messages queued replays may hold at once (the history length).</param>
/// <param name="CloseTimeout">How long a server-initiated close may take.</param>
/// <param name="Time">The clock.</param>
internal sealed record ConnectionSettings(int SendQueueLength, int ReplayLimit, TimeSpan CloseTimeout, TimeProvider Time);
