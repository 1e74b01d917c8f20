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
internal sealed class AsyncSignal : IValueTaskSource<bool>, IThreadPoolWorkItem
{
    // Continuations run inline in Execute, which itself always runs on the thread pool: the
    // producer (a publisher's fan-out) never runs the waiter's code, and queueing this object as
    // its own work item allocates nothing, unlike queueing a continuation delegate.
    private ManualResetValueTaskSourceCore<bool> _core = new() { RunContinuationsAsynchronously = false };

    /// <summary>Completes with true when <see cref="Set"/> is called; awaiting it allocates nothing.</summary>
    public ValueTask<bool> WaitAsync() => new(this, _core.Version);

    public void Set() => ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: false);

    void IThreadPoolWorkItem.Execute() => _core.SetResult(true);

    bool IValueTaskSource<bool>.GetResult(short token)
    {
        var result = _core.GetResult(token);
        _core.Reset();
        return result;
    }

    ValueTaskSourceStatus IValueTaskSource<bool>.GetStatus(short token) => _core.GetStatus(token);

    void IValueTaskSource<bool>.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _core.OnCompleted(continuation, state, token, flags);
}
