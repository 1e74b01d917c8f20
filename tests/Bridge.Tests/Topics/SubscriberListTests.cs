using Bridge.Topics;

namespace Bridge.Tests.Topics;

public sealed class SubscriberListTests
{
    [Fact]
    public void Subscribers_join_and_leave_in_place_and_a_crowd_leaving_gives_the_memory_back()
    {
        var list = new SubscriberList<object>();
        var subscribers = Enumerable.Range(0, 1000).Select(_ => new object()).ToArray();
        foreach (var subscriber in subscribers)
        {
            list.Add(subscriber);
        }

        Assert.Equal(1000, list.Count);
        Assert.Equal(1024, list.Capacity);
        Assert.Equal(subscribers.ToHashSet(), list.AsSpan().ToArray().ToHashSet());

        foreach (var subscriber in subscribers[..990])
        {
            Assert.True(list.Remove(subscriber));
        }

        Assert.False(list.Remove(subscribers[0]));
        Assert.Equal(subscribers[990..].ToHashSet(), list.AsSpan().ToArray().ToHashSet());
        Assert.True(list.Capacity <= 64, $"capacity {list.Capacity} after 990 of 1000 left");
    }

    [Fact]
    public void Removing_someone_who_never_joined_changes_nothing()
    {
        var list = new SubscriberList<object>();
        var member = new object();
        list.Add(member);

        Assert.False(list.Remove(new object()));
        Assert.Equal([member], list.AsSpan().ToArray());
    }
}
