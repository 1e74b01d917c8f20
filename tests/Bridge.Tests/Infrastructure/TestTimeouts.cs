namespace Bridge.Tests.Infrastructure;

/// <summary>How long a test waits for a signal before it fails. Generous: CI shares two cores.</summary>
internal static class TestTimeouts
{
    public static readonly TimeSpan Signal = TimeSpan.FromSeconds(15);

    /// <summary>How long a test watches for something that must not happen.</summary>
    public static readonly TimeSpan Absence = TimeSpan.FromMilliseconds(300);
}
