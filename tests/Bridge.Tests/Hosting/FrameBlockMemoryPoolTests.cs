using System.Runtime.InteropServices;
using Bridge.Hosting;
using Bridge.Tests.Infrastructure;
using Google.Protobuf;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.DependencyInjection;
using Kind = Bridge.V1.ClientEvent.Types.Kind;

namespace Bridge.Tests.Hosting;

public sealed class FrameBlockMemoryPoolTests
{
    [Theory]
    [InlineData(-1, 4096)]
    [InlineData(1, 4096)]
    [InlineData(4096, 4096)]
    [InlineData(4097, 32768)]
    [InlineData(32768, 32768)]
    public void Rents_up_to_4_KiB_get_small_blocks_and_larger_ones_32_KiB_blocks(int asked, int blockSize)
    {
        using var pool = new FrameBlockMemoryPool();

        using var block = pool.Rent(asked);

        Assert.Equal(blockSize, block.Memory.Length);
    }

    [Fact]
    public void A_rent_over_32_KiB_is_refused_so_the_pipe_takes_it_elsewhere()
    {
        using var pool = new FrameBlockMemoryPool();

        Assert.Throws<ArgumentOutOfRangeException>(() => pool.Rent(32769));
    }

    [Fact]
    public void A_returned_block_is_reused_for_the_next_rent_of_its_size()
    {
        using var pool = new FrameBlockMemoryPool();
        var first = pool.Rent(8000);
        var array = Array(first);
        first.Dispose();

        using var second = pool.Rent(5000);
        using var small = pool.Rent(100);

        Assert.Same(array, Array(second));
        Assert.NotSame(array, Array(small));
    }

    [Fact]
    public void A_trim_frees_half_of_the_blocks_no_rent_needed_since_the_previous_trim()
    {
        using var pool = new FrameBlockMemoryPool();
        var blocks = Enumerable.Range(0, 8).Select(_ => pool.Rent(100)).ToList();
        blocks.ForEach(b => b.Dispose());
        pool.Trim(); // all 8 were in use during the period that ends here

        Assert.Equal((8, 0), pool.FreeCount);

        using (pool.Rent(100))
        {
            pool.Trim(); // 7 stayed free the whole period: 3 go
        }

        Assert.Equal((5, 0), pool.FreeCount);

        pool.Trim(); // 4 stayed free (one was rented when the period began): 2 go
        Assert.Equal((3, 0), pool.FreeCount);
    }

    [Fact]
    public async Task Kestrel_takes_its_pipes_from_the_pool_and_large_frames_arrive_intact()
    {
        await using var server = await BridgeServer.StartAsync();
        await using var backend = await PublisherSession.OpenAsync(server.Client);
        using var client = await server.ConnectAsync();
        await backend.WaitForEventAsync(Kind.Connected);

        // Frames just over a small block, several per large block, one over a large block.
        int[] sizes = [4097, 9000, 9000, 9000, 9000, 40_000, 5000];
        var payloads = sizes.Select((size, i) => Enumerable.Range(0, size).Select(b => (byte)(b * 31 + i)).ToArray()).ToArray();
        foreach (var payload in payloads)
        {
            await backend.PublishAsync(new V1.Update { Binary = ByteString.CopyFrom(payload) });
        }

        foreach (var payload in payloads)
        {
            Assert.Equal(payload, (await client.ReceiveMessageAsync()).Payload);
        }

        Assert.IsType<FrameBlockMemoryPoolFactory>(server.Services.GetRequiredService<IMemoryPoolFactory<byte>>());
    }

    private static byte[] Array(System.Buffers.IMemoryOwner<byte> block) =>
        MemoryMarshal.TryGetArray<byte>(block.Memory, out var segment) ? segment.Array! : throw new InvalidOperationException("not an array");
}
