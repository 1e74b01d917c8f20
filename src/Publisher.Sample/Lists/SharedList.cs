using System.Collections.Immutable;
using System.Globalization;

namespace Publisher.Sample.Lists;

/// <summary>
/// The one list every browser tab edits. Lives for the whole process, so a reconnect to the bridge
/// republishes what the tabs already had instead of starting over.
/// </summary>
internal sealed class SharedList
{
    /// <summary>The topic browsers subscribe to and send edits on.</summary>
    public const string Topic = "list";

    /// <summary>Most items the list holds. With <see cref="MaxTextLength"/> it keeps a whole state far below the bridge's 1 MiB update limit.</summary>
    public const int MaxItems = 500;

    /// <summary>Longest item text, in characters.</summary>
    public const int MaxTextLength = 200;

    private readonly Lock _gate = new();
    private ListSnapshot _current = ListSnapshot.Empty;
    private long _lastId;

    /// <summary>The latest state; safe to read from any thread.</summary>
    public ListSnapshot Current => Volatile.Read(ref _current);

    public EditResult Apply(ListEdit edit)
    {
        lock (_gate)
        {
            var items = _current.Items;
            switch (edit.Kind)
            {
                case ListEditKind.Add:
                    var text = edit.Argument.Trim();
                    if (text.Length == 0)
                    {
                        return EditResult.Reject("add needs a non-empty text");
                    }

                    if (text.Length > MaxTextLength)
                    {
                        return EditResult.Reject($"text is {text.Length} characters long; the limit is {MaxTextLength}");
                    }

                    if (items.Count >= MaxItems)
                    {
                        return EditResult.Reject($"the list is full ({MaxItems} items)");
                    }

                    var id = (++_lastId).ToString(CultureInfo.InvariantCulture);
                    return Commit(items.Add(new ListItem(id, text, Done: false)));

                case ListEditKind.Toggle or ListEditKind.Remove:
                    var index = items.FindIndex(item => item.Id == edit.Argument);
                    if (index < 0)
                    {
                        // Often another tab removed it a moment ago: a normal race. The id is not echoed
                        // because the reason is also logged, and logs carry no browser input.
                        return EditResult.Reject("no item has that id; it may just have been removed");
                    }

                    return Commit(edit.Kind == ListEditKind.Remove
                        ? items.RemoveAt(index)
                        : items.SetItem(index, items[index] with { Done = !items[index].Done }));

                case ListEditKind.Clear:
                    return items.IsEmpty ? EditResult.Unchanged : Commit([]);

                default:
                    throw new ArgumentOutOfRangeException(nameof(edit), edit.Kind, "unknown edit kind");
            }
        }
    }

    private EditResult Commit(ImmutableList<ListItem> items)
    {
        Volatile.Write(ref _current, new ListSnapshot(_current.Version + 1, items));
        return EditResult.Changed;
    }
}
