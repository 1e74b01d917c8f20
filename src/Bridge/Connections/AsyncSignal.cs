using System.Threading.Tasks.Sources;

namespace Bridge.Connections;

/// <summary>
/// A reusable wake-up for one waiter that allocates nothing per wait (unlike a SemaphoreSlim's
/// WaitAsync): the sender loop of a connection waits on it every time its queue runs empty.
/// </summary>
/// <remarks>
/// Contract: the waiter announces itself under its owner's lock before calling <see cref="WaitAsync"/>,
/// and exactly one <see cref="Set"/> follows each announcement (the producer that clears the flag under
/// the same lock). A <see cref="Set"/> that lands before the wait starts completes it at once.
/// </remarks>
internal sealed class AsyncSignal : IValueTaskSource
{
    private ManualResetValueTaskSourceCore<bool> _core = new() { RunContinuationsAsynchronously = true };

    public ValueTask WaitAsync() => new(this, _core.Version);

    public void Set() => _core.SetResult(true);

    void IValueTaskSource.GetResult(short token)
    {
        _core.GetResult(token);
        _core.Reset();
    }

    ValueTaskSourceStatus IValueTaskSource.GetStatus(short token) => _core.GetStatus(token);

    void IValueTaskSource.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _core.OnCompleted(continuation, state, token, flags);
}
