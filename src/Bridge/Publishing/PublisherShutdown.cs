namespace Bridge.Publishing;

/// <summary>
/// Ends publisher streams at shutdown ahead of the server itself. The host stops Kestrel before
/// any other hosted service (the server is registered last under minimal hosting) and right after
/// <c>ApplicationStopping</c>, so a stream that ended on that signal could have its final status
/// (UNAVAILABLE "shutting down") arrive in the same moment as the connection's GOAWAY, which some
/// HTTP/2 clients report as INTERNAL instead. <see cref="Hosting.LifetimeEvents"/> calls
/// <see cref="Begin"/> earlier, in the host's stopping phase, and waits for the calls to finish.
/// </summary>
internal sealed class PublisherShutdown : IDisposable
{
    private readonly CancellationTokenSource _stopping = new();
    private readonly Lock _gate = new();
    private int _calls;
    private TaskCompletionSource? _idle;

    /// <summary>Cancelled when shutdown begins: streams stop reading and end with UNAVAILABLE.</summary>
    public CancellationToken Stopping => _stopping.Token;

    public bool IsStopping => _stopping.IsCancellationRequested;

    public void Begin() => _stopping.Cancel();

    /// <summary>Counts a <c>Publish</c> call until the returned scope is disposed (after its status is decided).</summary>
    public CallScope Track()
    {
        lock (_gate)
        {
            _calls++;
        }

        return new CallScope(this);
    }

    /// <summary>Completes when no <c>Publish</c> call is running (at once if none is).</summary>
    public Task WhenIdle()
    {
        lock (_gate)
        {
            if (_calls == 0)
            {
                return Task.CompletedTask;
            }

            _idle ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            return _idle.Task;
        }
    }

    private void Exit()
    {
        lock (_gate)
        {
            if (--_calls == 0)
            {
                _idle?.TrySetResult();
                _idle = null;
            }
        }
    }

    public void Dispose() => _stopping.Dispose();

    /// <summary>One running call; disposing it ends the count.</summary>
    internal readonly struct CallScope(PublisherShutdown owner) : IDisposable
    {
        public void Dispose() => owner.Exit();
    }
}
