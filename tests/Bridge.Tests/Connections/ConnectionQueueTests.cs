using Bridge.Configuration;
using Bridge.Connections;
using Bridge.Topics;

namespace Bridge.Tests.Connections;

/// <summary>The send queue's slow-consumer policies at the edges a socket test cannot aim at precisely.</summary>
public sealed class ConnectionQueueTests
{
    private static TopicMessage Update(string topic, ulong sequence) => new(topic, sequence, "abcdefghij", OutboundFrame.Text("v" + sequence), 0);

    private static List<QueuedItem> Drain(ConnectionQueue queue)
    {
        var batch = new List<QueuedItem>();
        queue.DrainTo(batch);
        return batch;
    }

    [Theory]
    [InlineData(SlowConsumerPolicy.Conflate)]
    [InlineData(SlowConsumerPolicy.DropOldest)]
    public void A_policy_never_reaches_across_a_resubscription_of_the_same_topic(SlowConsumerPolicy policy)
    {
        var queue = new ConnectionQueue(capacity: 2, replayLimit: 100);
        queue.TryEnqueue(QueuedItem.Update(Update("x", 1)), policy);
        queue.TryEnqueue(QueuedItem.Envelope(OutboundFrame.Text("unsubscribed x"), boundary: "x"), SlowConsumerPolicy.Disconnect);
        queue.TryEnqueue(QueuedItem.Envelope(OutboundFrame.Text("subscribed x at 5"), boundary: "x"), SlowConsumerPolicy.Disconnect);

        // Nothing of the new subscription is queued to drop or replace: the update goes after the answer, with no gap reported.
        Assert.Equal(EnqueueOutcome.Queued, queue.TryEnqueue(QueuedItem.Update(Update("x", 6)), policy));
        var batch = Drain(queue);
        Assert.Equal([1ul, 0, 0, 6ul], batch.Select(i => i.Message?.Sequence ?? 0));
        Assert.Equal(0, batch[^1].Skipped);
    }

    [Fact]
    public void A_kept_latest_value_is_never_conflated_away()
    {
        var queue = new ConnectionQueue(capacity: 1, replayLimit: 100);
        queue.TryEnqueue(QueuedItem.Latest(Update("x", 5)), SlowConsumerPolicy.Conflate);
        Assert.Equal(EnqueueOutcome.Queued, queue.TryEnqueue(QueuedItem.Update(Update("x", 6)), SlowConsumerPolicy.Conflate));
        Assert.Equal(EnqueueOutcome.Conflated, queue.TryEnqueue(QueuedItem.Update(Update("x", 7)), SlowConsumerPolicy.Conflate));
        var batch = Drain(queue);
        Assert.Equal([5ul, 7ul], batch.Select(i => i.Message!.Sequence));
        Assert.Equal(1, batch[1].Skipped);
    }

    [Fact]
    public void Answers_and_replays_get_headroom_but_live_updates_do_not()
    {
        var queue = new ConnectionQueue(capacity: 1, replayLimit: 100);
        Assert.Equal(EnqueueOutcome.Queued, queue.TryEnqueue(QueuedItem.Envelope(OutboundFrame.Text("subscribed")), SlowConsumerPolicy.Disconnect));
        Assert.Equal(EnqueueOutcome.Queued, queue.TryEnqueue(QueuedItem.Replaying([Update("x", 1), Update("x", 2)]), SlowConsumerPolicy.Disconnect));
        Assert.Equal(EnqueueOutcome.Overflow, queue.TryEnqueue(QueuedItem.Update(Update("x", 3)), SlowConsumerPolicy.Disconnect));
    }

    [Fact]
    public void Replays_a_client_does_not_read_are_bounded_by_the_history_length()
    {
        var queue = new ConnectionQueue(capacity: 512, replayLimit: 3);
        Assert.Equal(EnqueueOutcome.Queued, queue.TryEnqueue(QueuedItem.Replaying([Update("x", 1), Update("x", 2)]), SlowConsumerPolicy.Disconnect));
        Assert.Equal(EnqueueOutcome.Overflow, queue.TryEnqueue(QueuedItem.Replaying([Update("x", 1), Update("x", 2)]), SlowConsumerPolicy.Disconnect));
        Drain(queue);
        Assert.Equal(EnqueueOutcome.Queued, queue.TryEnqueue(QueuedItem.Replaying([Update("x", 1), Update("x", 2)]), SlowConsumerPolicy.Disconnect));
    }
}
