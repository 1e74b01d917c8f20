namespace Publisher.Sample.Syncing;

/// <summary>Everything the writer sends in one pass, all with the same state.</summary>
/// <param name="PublishState">Publish the current state on the topic (then no welcomes are needed).</param>
/// <param name="Welcomes">Connections that get the current state directly.</param>
/// <param name="Replies">Error replies, in the order they were made.</param>
internal sealed record OutboxBatch(bool PublishState, IReadOnlyList<string> Welcomes, IReadOnlyList<Reply> Replies);

/// <summary>A text for one connection only.</summary>
internal sealed record Reply(string ConnectionId, string Text);
