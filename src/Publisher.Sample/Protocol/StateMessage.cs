using Publisher.Sample.Lists;

namespace Publisher.Sample.Protocol;

/// <summary>The whole list as browsers receive it: <c>{"type":"list","version":7,"items":[{"id":"1","text":"milk","done":false}]}</c>.</summary>
internal sealed record StateMessage(string Type, long Version, IReadOnlyList<ListItem> Items)
{
    public const string ListType = "list";

    public static StateMessage From(ListSnapshot snapshot) => new(ListType, snapshot.Version, snapshot.Items);
}
