namespace Publisher.Sample.Lists;

/// <summary>One entry of the shared list. Ids are assigned by the sample and never reused while it runs.</summary>
internal sealed record ListItem(string Id, string Text, bool Done);
