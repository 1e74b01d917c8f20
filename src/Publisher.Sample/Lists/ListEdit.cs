namespace Publisher.Sample.Lists;

/// <summary>What a browser asked to do to the list.</summary>
internal enum ListEditKind
{
    Add,
    Toggle,
    Remove,
    Clear,
}

/// <summary>One well-formed edit; whether it applies depends on the list it meets.</summary>
/// <param name="Argument">The text for <see cref="ListEditKind.Add"/>, the item id for toggle and remove, empty for clear.</param>
internal sealed record ListEdit(ListEditKind Kind, string Argument);
