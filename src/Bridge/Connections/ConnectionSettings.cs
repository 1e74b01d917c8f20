namespace Bridge.Connections;

/// <summary>The per-connection limits, resolved once from options and shared by every connection.</summary>
internal sealed record ConnectionSettings(int SendQueueLength, TimeSpan CloseTimeout, TimeProvider Time);
