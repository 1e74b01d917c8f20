using Bridge.Topics;

namespace Bridge.Tests.Infrastructure;

/// <summary>Waits for state the bridge's topic maintenance (sweeps, budget enforcement) changes in the background.</summary>
internal static class Maintenance
{
    /// <summary>Completes once <paramref name="condition"/> holds, checked now and after every sweep or budget enforcement.</summary>
    public static async Task WaitUntilAsync(TopicRegistry topics, Func<bool> condition, string failure)
    {
        var reached = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        void Check()
        {
            if (condition())
            {
                reached.TrySetResult();
            }
        }

        topics.Maintained += Check;
        try
        {
            Check();
            await reached.Task.WaitAsync(TestTimeouts.Signal);
        }
        catch (TimeoutException)
        {
            Assert.Fail(failure);
        }
        finally
        {
            topics.Maintained -= Check;
        }
    }
}
