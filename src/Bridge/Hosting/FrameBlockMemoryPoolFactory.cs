using System.Buffers;
using Microsoft.AspNetCore.Connections;

namespace Bridge.Hosting;

/// <summary>
/// Gives Kestrel (which asks for its pipes' memory through <see cref="IMemoryPoolFactory{T}"/>) a
/// <see cref="FrameBlockMemoryPool"/> per transport, and trims every pool it made every 10 seconds.
/// </summary>
internal sealed class FrameBlockMemoryPoolFactory : IMemoryPoolFactory<byte>, IDisposable
{
    public static readonly TimeSpan TrimInterval = TimeSpan.FromSeconds(10);

    private readonly Lock _gate = new();
    private readonly List<FrameBlockMemoryPool> _pools = [];
    private readonly ITimer _trimTimer;

    public FrameBlockMemoryPoolFactory(TimeProvider time) =>
        _trimTimer = time.CreateTimer(static state => ((FrameBlockMemoryPoolFactory)state!).TrimAll(), this, TrimInterval, TrimInterval);

    public MemoryPool<byte> Create(MemoryPoolOptions? options = null)
    {
        var pool = new FrameBlockMemoryPool();
        lock (_gate)
        {
            _pools.Add(pool);
        }

        return pool;
    }

    public void Dispose() => _trimTimer.Dispose();

    private void TrimAll()
    {
        lock (_gate)
        {
            foreach (var pool in _pools)
            {
                pool.Trim();
            }
        }
    }
}
