using Bridge.Tests.Infrastructure;
using Bridge.Topics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Time.Testing;
using Kind = Bridge.V1.ClientEvent.Types.Kind;

namespace Bridge.Tests.Topics;

public sealed class TopicRetentionTests
{
    [Fact]
    public async Task Idle_topics_are_evicted_after_the_history_age_and_come_back_at_sequence_one_with_a_new_epoch()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var server = await BridgeServer.StartAsync(time, new Dictionary<string, string> { ["History:MaxAge"] = "00:01:00" });
        var topics = server.Services.GetRequiredService<TopicRegistry>();
        await using var backend = await PublisherSession.OpenAsync(server.Client);
        var first = await backend.PublishTextAsync("kept", "one");
        Assert.Equal(1ul, first.Sequence);

        for (var round = 0; round < 5; round++)
        {
            var names = Enumerable.Range(0, 99).Select(i => $"r{round}.t{i}").Append("kept").ToArray();
            using var client = await server.ConnectAsync(names);
            var id = (await backend.WaitForEventAsync(Kind.Connected)).ConnectionId;
            await client.CloseAsync(System.Net.WebSockets.WebSocketCloseStatus.NormalClosure, string.Empty, CancellationToken.None);
            await backend.WaitForEventAsync(Kind.Disconnected, id);
        }

        // Within the history age everything is kept, so a client could still resume "kept".
        Assert.Equal(2 + 5 * 99, topics.Count);
        Assert.Equal(2ul, (await backend.PublishTextAsync("kept", "two")).Sequence);

        time.Advance(TimeSpan.FromMinutes(2));
        await Maintenance.WaitUntilAsync(topics, () => topics.Count == 0, "idle topics were not evicted after History:MaxAge");
        Assert.Equal(0, topics.RetainedBytes);

        var again = await backend.PublishTextAsync("kept", "three");
        Assert.Equal(1ul, again.Sequence);
        Assert.NotEqual(first.Epoch, again.Epoch);
    }

    [Fact]
    public async Task Publishing_while_subscribers_come_and_go_never_loses_a_delivery()
    {
        await using var server = await BridgeServer.StartAsync();
        await using var backend = await PublisherSession.OpenAsync(server.Client);

        for (var round = 0; round < 30; round++)
        {
            var topic = "churn" + round;
            var leaving = await server.ConnectAsync(topic);
            var publish = backend.PublishTextAsync(topic, "p");
            leaving.Dispose();
            await publish;
            using var staying = await server.ConnectAsync(topic);
            var ack = await backend.PublishTextAsync(topic, "for staying");

            Assert.InRange(ack.Recipients, 1u, 2u); // the leaving socket may not be gone yet
            Assert.Equal("for staying", await staying.ReceiveTextAsync());
        }
    }
}
