using System.Net;

namespace Bridge.Benchmarks.Load;

/// <summary>
/// Source addresses for client sockets, spread over 127.0.0.0/8 so that many connections (and
/// many short-lived ones, whose ports wait in TIME_WAIT) never run out of ephemeral ports.
/// </summary>
internal static class LoopbackSources
{
    /// <summary>One of 127.0.0.2 … 127.0.0.65, chosen by <paramref name="index"/>: for long-lived connections.</summary>
    public static IPAddress ForConnection(int index) => new(new byte[] { 127, 0, 0, (byte)(2 + (index & 63)) });

    /// <summary>One of 127.1.0.1 … 127.1.39.250, chosen by <paramref name="index"/>: for churn.</summary>
    public static IPAddress ForChurn(long index)
    {
        var n = (int)(index % 10_000);
        return new IPAddress(new byte[] { 127, 1, (byte)(n / 250), (byte)(1 + (n % 250)) });
    }
}
