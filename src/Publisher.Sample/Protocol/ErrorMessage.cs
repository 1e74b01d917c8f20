namespace Publisher.Sample.Protocol;

/// <summary>The reply to one sender whose edit could not apply: <c>{"type":"error","message":"..."}</c>.</summary>
internal sealed record ErrorMessage(string Type, string Message)
{
    public const string ErrorType = "error";

    public static ErrorMessage From(string message) => new(ErrorType, message);
}
