using System.Buffers;
using System.Collections.Concurrent;

namespace Bridge.Hosting;

/// <summary>
/// The memory Kestrel's connection pipes are made of: pinned 4 KiB blocks, as Kestrel's own pool
/// hands out, for everything up to 4 KiB (socket reads, HTTP, gRPC, small frames), and pinned
/// 32 KiB blocks for a write that asks for more in one piece — the WebSocket sender's frames over
/// 4 KiB (<see cref="Connections.WebSocketChannel.Write"/>).
/// </summary>
/// <remarks>
/// Why: the socket layer sends a pipe's content with one gather write, and above 8 buffers it
/// allocates its buffer-list arrays on every send. In 4 KiB blocks a 64 KiB batch of 4 KiB frames
/// is 17 buffers; in 32 KiB blocks it is 3. Measured under broadcast load with 4 KiB payloads:
/// 40 → 13 bytes allocated per delivery and about a fifth more deliveries per second; small
/// payloads keep their 4 KiB blocks (docs/performance.md).
/// <para>
/// Blocks are reused, never freed on return. <see cref="Trim"/> (every 10 s, from
/// <see cref="FrameBlockMemoryPoolFactory"/>) frees half of the blocks that stayed unused since the
/// previous trim, so memory taken by a burst goes back to the GC once the burst is over.
/// </para>
/// </remarks>
internal sealed class FrameBlockMemoryPool : MemoryPool<byte>
{
    public const int SmallBlockSize = 4 * 1024;
    public const int LargeBlockSize = 32 * 1024;

    private readonly FreeBlocks _small = new(SmallBlockSize);
    private readonly FreeBlocks _large = new(LargeBlockSize);

    public override int MaxBufferSize => LargeBlockSize;

    /// <summary>Free blocks held now, small and large (for tests and diagnostics).</summary>
    public (int Small, int Large) FreeCount => (_small.Count, _large.Count);

    public override IMemoryOwner<byte> Rent(int minBufferSize = -1)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(minBufferSize, LargeBlockSize);
        return (minBufferSize > SmallBlockSize ? _large : _small).Rent();
    }

    /// <summary>Frees half of the blocks no rent needed since the last trim.</summary>
    public void Trim()
    {
        _small.Trim();
        _large.Trim();
    }

    protected override void Dispose(bool disposing)
    {
        // Blocks still rented return to their free list and are collected with the pool.
    }

    /// <summary>The free blocks of one size, with the lowest count seen since the last trim.</summary>
    private sealed class FreeBlocks(int blockSize)
    {
        private readonly ConcurrentQueue<Block> _queue = new();
        private int _count;
        private int _lowWater;

        public int Count => Volatile.Read(ref _count);

        public Block Rent()
        {
            if (!_queue.TryDequeue(out var block))
            {
                return new Block(this, blockSize);
            }

            var left = Interlocked.Decrement(ref _count);
            if (left < Volatile.Read(ref _lowWater))
            {
                // A heuristic: a lost race only makes a trim keep a few more blocks.
                Volatile.Write(ref _lowWater, left);
            }

            return block;
        }

        public void Return(Block block)
        {
            _queue.Enqueue(block);
            Interlocked.Increment(ref _count);
        }

        public void Trim()
        {
            // Blocks that were free the whole time since the last trim were not needed.
            var unused = Interlocked.Exchange(ref _lowWater, Count);
            for (var i = 0; i < unused / 2 && _queue.TryDequeue(out _); i++)
            {
                Interlocked.Decrement(ref _count);
            }

            Volatile.Write(ref _lowWater, Count);
        }
    }

    private sealed class Block(FreeBlocks owner, int size) : IMemoryOwner<byte>
    {
        private readonly byte[] _array = GC.AllocateUninitializedArray<byte>(size, pinned: true);

        public Memory<byte> Memory => _array;

        public void Dispose() => owner.Return(this);
    }
}
