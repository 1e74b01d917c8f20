using System.Net.Sockets;

namespace Bridge.Benchmarks.Infrastructure;

/// <summary>
/// Reads a .NET server's allocation counters through bench/AllocationProbe, the startup hook the
/// benchmark loads into it (<c>DOTNET_STARTUP_HOOKS</c>): nothing is added to the server itself.
/// </summary>
internal sealed class AllocationProbeClient : IDisposable
{
    private readonly Socket _socket;

    private AllocationProbeClient(Socket socket) => _socket = socket;

    /// <summary>Connects to the probe's socket, waiting for the server to create it.</summary>
    public static async Task<AllocationProbeClient?> ConnectAsync(string path, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (File.Exists(path))
            {
                var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                try
                {
                    socket.Connect(new UnixDomainSocketEndPoint(path));
                    return new AllocationProbeClient(socket);
                }
                catch (SocketException)
                {
                    socket.Dispose();
                }
            }

            await Task.Delay(50);
        }

        return null;
    }

    /// <summary>The server's counters now; after a full, compacting collection when <paramref name="collect"/>.</summary>
    public AllocationSample Sample(bool collect = false)
    {
        _socket.Send([collect ? (byte)2 : (byte)1]);
        var answer = new byte[5 * sizeof(long)];
        var read = 0;
        while (read < answer.Length)
        {
            var n = _socket.Receive(answer, read, answer.Length - read, SocketFlags.None);
            if (n == 0)
            {
                throw new IOException("the allocation probe closed its socket");
            }

            read += n;
        }

        long Value(int i) => BitConverter.ToInt64(answer, i * sizeof(long));
        return new AllocationSample(Value(0), Value(1), Value(2), Value(3), Value(4));
    }

    public void Dispose() => _socket.Dispose();
}

/// <summary>Bytes allocated so far, collections per generation, and managed heap size.</summary>
internal readonly record struct AllocationSample(long AllocatedBytes, long Gen0, long Gen1, long Gen2, long HeapBytes);
