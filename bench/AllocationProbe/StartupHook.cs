using System.Diagnostics.CodeAnalysis;
using System.Net.Sockets;

/// <summary>
/// Loaded by the runtime before <c>Main</c> when the process runs with
/// <c>DOTNET_STARTUP_HOOKS=AllocationProbe.dll</c> and <c>BENCH_PROBE_SOCKET=/path</c>. Listens on
/// that Unix socket; for every byte a client writes it answers five little-endian int64s: bytes
/// allocated so far (<see cref="GC.GetTotalAllocatedBytes(bool)"/>, precise), the gen0, gen1 and
/// gen2 collection counts, and the managed heap size. A byte of value 2 asks for a full, compacting
/// collection first, so the heap size is what is alive.
/// </summary>
/// <remarks>The runtime finds the hook by this exact name, outside any namespace.</remarks>
[SuppressMessage("Design", "CA1050:Declare types in namespaces", Justification = "The runtime requires StartupHook in the global namespace.")]
internal static class StartupHook
{
    public static void Initialize()
    {
        var path = Environment.GetEnvironmentVariable("BENCH_PROBE_SOCKET");
        if (string.IsNullOrEmpty(path))
        {
            return;
        }

        var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        listener.Bind(new UnixDomainSocketEndPoint(path));
        listener.Listen(4);
        var thread = new Thread(() => Serve(listener)) { IsBackground = true, Name = "allocation-probe" };
        thread.Start();
    }

    private static void Serve(Socket listener)
    {
        while (true)
        {
            using var client = listener.Accept();
            var request = new byte[1];
            var answer = new byte[5 * sizeof(long)];
            try
            {
                while (client.Receive(request) == 1)
                {
                    if (request[0] == 2)
                    {
                        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
                    }

                    long[] values = [GC.GetTotalAllocatedBytes(precise: true), GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2), GC.GetTotalMemory(forceFullCollection: false)];
                    for (var i = 0; i < values.Length; i++)
                    {
                        BitConverter.TryWriteBytes(answer.AsSpan(i * sizeof(long)), values[i]);
                    }

                    client.Send(answer);
                }
            }
            catch (SocketException)
            {
                // The benchmark went away; wait for the next one.
            }
        }
    }
}
