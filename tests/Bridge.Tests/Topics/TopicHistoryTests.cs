using Bridge.Connections;
using Bridge.Topics;

namespace Bridge.Tests.Topics;

public sealed class TopicHistoryTests
{
    private static TopicMessage At(ulong sequence, long timestamp) => new("t", sequence, "abcdefghij", OutboundFrame.Text("v"), timestamp);

    [Fact]
    public void An_expired_history_gives_its_memory_back()
    {
        var history = new TopicHistory(1000);
        for (ulong i = 1; i <= 1000; i++)
        {
            history.Append(At(i, timestamp: 1));
        }

        Assert.Equal(1000, history.Allocated);
        history.TrimOlderThan(2);
        Assert.Equal((0, 0L, 0), (history.Count, history.Bytes, history.Allocated));

        history.Append(At(1001, timestamp: 3));
        Assert.True(history.TryGetAfter(1000, 1001, out var missed));
        Assert.Equal(1001ul, Assert.Single(missed).Sequence);
    }

    [Fact]
    public void Trimming_most_entries_shrinks_the_ring_and_keeps_the_rest_in_order()
    {
        var history = new TopicHistory(1000);
        for (ulong i = 1; i <= 1000; i++)
        {
            history.Append(At(i, timestamp: (long)i));
        }

        history.TrimOlderThan(991);
        Assert.Equal(10, history.Count);
        Assert.InRange(history.Allocated, 10, 40);
        Assert.True(history.TryGetAfter(990, 1000, out var missed));
        Assert.Equal(Enumerable.Range(991, 10).Select(i => (ulong)i), missed.Select(m => m.Sequence));
        Assert.False(history.TryGetAfter(989, 1000, out _));
    }
}
