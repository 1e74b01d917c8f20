namespace Publisher.Sample.Protocol;

/// <summary>An edit as a browser sends it: <c>{"op":"add","text":"milk"}</c>, <c>{"op":"toggle","id":"3"}</c>, <c>{"op":"remove","id":"3"}</c>, <c>{"op":"clear"}</c>.</summary>
internal sealed class EditMessage
{
    public string? Op { get; init; }

    public string? Text { get; init; }

    public string? Id { get; init; }
}
