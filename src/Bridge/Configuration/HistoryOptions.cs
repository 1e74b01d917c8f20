namespace Bridge.Configuration;

/// <summary>Per-topic history and the memory budget for all retained updates (<c>Bridge:History</c>).</summary>
public sealed class HistoryOptions
{
    /// <summary>Updates kept per topic for resume; 0 keeps none (a resume then succeeds only when nothing was missed). Default 1,000.</summary>
    public int MaxMessages { get; set; } = 1000;

    /// <summary>How long an update stays in history; also how long an idle topic without subscribers is kept. Default 5 minutes.</summary>
    public TimeSpan MaxAge { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// Memory budget, in bytes, for the history, kept latest values and per-topic state of all topics.
    /// Beyond it idle topics are evicted oldest first, then the oldest history entries are trimmed. Default 64 MiB.
    /// </summary>
    public long MaxBytes { get; set; } = 64L * 1024 * 1024;
}

/// <summary>What happens to an update for a connection whose send queue is full.</summary>
public enum SlowConsumerPolicy
{
    /// <summary>Close the connection (1008 "slow consumer"); the client resumes from history.</summary>
    Disconnect,

    /// <summary>Drop the oldest queued update of the same topic and queue the new one.</summary>
    DropOldest,

    /// <summary>Replace the newest queued update of the same topic with the new one.</summary>
    Conflate,
}

/// <summary>
/// The policy of the topics a pattern matches (<c>Bridge:Topics:N</c>); the first matching entry wins.
/// </summary>
public sealed class TopicPolicyOptions
{
    /// <summary>
    /// A topic name (exact match), a prefix ending in <c>*</c> (<c>prices.*</c> matches every topic
    /// starting with <c>prices.</c>), or <c>*</c> for every topic, the broadcast topic included.
    /// </summary>
    public string Pattern { get; set; } = string.Empty;

    /// <summary>Keep the topic's last update and give it to every new subscriber first. Default false.</summary>
    public bool KeepLatest { get; set; }

    /// <summary><c>disconnect</c> (default), <c>drop-oldest</c> or <c>conflate</c>.</summary>
    public string SlowConsumer { get; set; } = "disconnect";
}

/// <summary>Server-Sent Events at <c>/sse</c> (<c>Bridge:Sse</c>).</summary>
public sealed class SseOptions
{
    /// <summary>Interval of the comment lines that keep idle streams open through proxies. Default 15 s.</summary>
    public TimeSpan HeartbeatInterval { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>The <c>retry:</c> hint: how long a browser waits before reconnecting. Default 2 s.</summary>
    public TimeSpan RetryInterval { get; set; } = TimeSpan.FromSeconds(2);
}
