namespace Bridge.Configuration;

/// <summary>The configuration spelling of <see cref="SlowConsumerPolicy"/>: <c>disconnect</c>, <c>drop-oldest</c>, <c>conflate</c>.</summary>
internal static class SlowConsumerPolicies
{
    public static bool TryParse(string? value, out SlowConsumerPolicy policy)
    {
        switch (value?.Trim().ToLowerInvariant())
        {
            case null or "" or "disconnect":
                policy = SlowConsumerPolicy.Disconnect;
                return true;
            case "drop-oldest":
                policy = SlowConsumerPolicy.DropOldest;
                return true;
            case "conflate":
                policy = SlowConsumerPolicy.Conflate;
                return true;
            default:
                policy = SlowConsumerPolicy.Disconnect;
                return false;
        }
    }
}
