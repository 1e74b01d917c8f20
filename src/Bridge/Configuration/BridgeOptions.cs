namespace Bridge.Configuration;

/// <summary>
/// Every setting of the bridge, bound from the <c>Bridge</c> configuration section
/// (appsettings, environment <c>Bridge__Key</c>, command line <c>--Bridge:Key=value</c>)
/// and validated at start-up by <see cref="BridgeOptionsValidator"/>.
/// </summary>
public sealed class BridgeOptions
{
    /// <summary>The configuration section these options bind from.</summary>
    public const string SectionName = "Bridge";

    /// <summary>
    /// The HTTP/1.1 listener for WebSockets, the demo page and health endpoints.
    /// Host is an IP address, <c>localhost</c>, <c>*</c> or <c>+</c>; port 0 picks a free port.
    /// </summary>
    public string HttpUrl { get; set; } = "http://0.0.0.0:8080";

    /// <summary>The cleartext HTTP/2 (h2c) listener for gRPC publishers, health and reflection.</summary>
    public string GrpcUrl { get; set; } = "http://0.0.0.0:50051";

    /// <summary>Largest update payload accepted from a publisher, in bytes (UTF-8 bytes for text). Default 1 MiB.</summary>
    public int MaxUpdateBytes { get; set; } = 1024 * 1024;

    /// <summary>
    /// Largest message accepted from a browser, in bytes; a larger one closes that connection with 1009.
    /// Default 64 KiB; at most 4 MiB − 64 KiB, so a ClientMessage fits a default gRPC client's 4 MiB receive limit.
    /// </summary>
    public int MaxClientMessageBytes { get; set; } = 64 * 1024;

    /// <summary>
    /// gRPC transport receive limit, in bytes. Kept well above <see cref="MaxUpdateBytes"/> so an
    /// oversized update reaches the bridge and gets a clear <c>Ack.error</c> instead of killing the stream. Default 16 MiB.
    /// </summary>
    public int GrpcMaxReceiveMessageBytes { get; set; } = 16 * 1024 * 1024;

    /// <summary>Frames queued per browser connection before it counts as a slow consumer and is closed with 1008. Default 512.</summary>
    public int SendQueueLength { get; set; } = 512;

    /// <summary>
    /// Browser messages and connection events queued per publisher stream; beyond it they are dropped
    /// for that stream and counted (acks are never dropped). Default 10,000.
    /// </summary>
    public int PublisherQueueLength { get; set; } = 10_000;

    /// <summary>Topics one browser connection may subscribe to. Default 100.</summary>
    public int MaxTopicsPerConnection { get; set; } = 100;

    /// <summary>Interval between the WebSocket Ping frames the server sends. Default 15 s.</summary>
    public TimeSpan PingInterval { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>How long a peer may take to answer a Ping with a Pong before it is aborted. Default 30 s.</summary>
    public TimeSpan PingTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long a close frame the server sent (slow consumer, policy, too big) may take to go out and be answered before the connection is aborted. Default 5 s.</summary>
    public TimeSpan CloseTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>On shutdown, how long connections and publisher streams get to close cleanly before the process exits. Default 10 s.</summary>
    public TimeSpan DrainTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Per-topic history and its memory budget.</summary>
    public HistoryOptions History { get; set; } = new();

    /// <summary>Per-topic-pattern policies (latest value, slow-consumer policy); the first match wins.</summary>
    public List<TopicPolicyOptions> Topics { get; set; } = [];

    /// <summary>Server-Sent Events settings.</summary>
    public SseOptions Sse { get; set; } = new();

    /// <summary>Origins (<c>https://app.example.com</c>, or <c>*</c>) whose pages may subscribe to <c>/sse</c> cross-origin. Default none.</summary>
    public List<string> AllowedOrigins { get; set; } = [];
}
