namespace Bridge.Topics;

/// <summary>A request to subscribe a connection to a topic, optionally resuming after a position.</summary>
/// <param name="Topic">The topic.</param>
/// <param name="Since">The last position the client received; replay starts after it.</param>
/// <param name="RequestId">The JSON request's raw <c>id</c> token to echo, if it had one.</param>
internal readonly record struct SubscriptionRequest(string Topic, TopicPosition? Since = null, string? RequestId = null);

/// <summary>
/// What a new subscriber must be sent before live updates, decided atomically with joining the
/// topic: its current position, whether the requested position was recovered, and the replay or
/// the kept latest value.
/// </summary>
internal readonly record struct SubscriptionStart(
    SubscriptionRequest Request,
    TopicPosition Current,
    bool? Recovered,
    TopicMessage[] Replay,
    TopicMessage? Latest,
    TopicPolicy Policy);
