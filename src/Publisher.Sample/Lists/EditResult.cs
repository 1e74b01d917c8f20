namespace Publisher.Sample.Lists;

/// <summary>What applying an edit did.</summary>
internal enum EditOutcome
{
    /// <summary>The list has a new version that every subscriber should see.</summary>
    Changed,

    /// <summary>The edit was valid but changed nothing (clearing an empty list); nothing to publish.</summary>
    Unchanged,

    /// <summary>The edit cannot apply; <see cref="EditResult.Error"/> says why, in words for the sender.</summary>
    Rejected,
}

internal readonly record struct EditResult(EditOutcome Outcome, string? Error)
{
    public static EditResult Changed => new(EditOutcome.Changed, null);

    public static EditResult Unchanged => new(EditOutcome.Unchanged, null);

    public static EditResult Reject(string error) => new(EditOutcome.Rejected, error);
}
