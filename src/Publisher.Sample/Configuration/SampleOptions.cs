namespace Publisher.Sample.Configuration;

/// <summary>
/// The sample's settings, bound from the configuration root so the bridge address is the plain key
/// <c>Bridge</c>: <c>--bridge http://host:50051</c> or environment <c>Bridge=...</c>. Checked at start-up by
/// <see cref="SampleOptionsValidator"/>.
/// </summary>
public sealed class SampleOptions
{
    /// <summary>The bridge's gRPC listener (cleartext HTTP/2 unless https). Default http://localhost:50051.</summary>
    public string Bridge { get; set; } = "http://localhost:50051";

    /// <summary>The first wait before reconnecting after the stream fails; doubles on every failed attempt. Default 0.2 s.</summary>
    public TimeSpan ReconnectDelay { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>The longest wait between reconnect attempts. Default 5 s.</summary>
    public TimeSpan MaxReconnectDelay { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>The bridge address as a URI; valid once the options have passed validation.</summary>
    public Uri BridgeUri => new(Bridge, UriKind.Absolute);
}

