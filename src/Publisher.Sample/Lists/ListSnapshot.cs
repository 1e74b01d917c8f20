using System.Collections.Immutable;

namespace Publisher.Sample.Lists;

/// <summary>
/// The whole list at one version. Immutable, so the loop that publishes it can read it while the
/// loop that applies edits builds the next one.
/// </summary>
/// <param name="Version">Counts accepted changes: 0 for the empty list the process starts with.</param>
internal sealed record ListSnapshot(long Version, ImmutableList<ListItem> Items)
{
    public static readonly ListSnapshot Empty = new(0, []);
}
