namespace Bridge.Tests.Infrastructure;

/// <summary>Waits for state the bridge changes in the background (a sweep, a gauge) with no event to await.</summary>
internal static class Eventually
{
    public static async Task TrueAsync(Func<bool> condition, string failure)
    {
        var deadline = DateTime.UtcNow + TestTimeouts.Signal;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, failure);
            await Task.Delay(10);
        }
    }
}
