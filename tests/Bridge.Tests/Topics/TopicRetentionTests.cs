using Bridge.Tests.Infrastructure;
using Bridge.Topics;
using Microsoft.Extensions.DependencyInjection;
using Kind = Bridge.V1.ClientEvent.Types.Kind;

namespace Bridge.Tests.Topics;

public sealed class TopicRetentionTests
{
    [Fact]
    public async Task Topics_only_browsers_named_are_forgotten_when_their_last_subscriber_leaves()
    {
        await using var server = await BridgeServer.StartAsync();
        var topics = server.Services.GetRequiredService<TopicRegistry>();
        await using var backend = await PublisherSession.OpenAsync(server.Client);
        Assert.Equal(1ul, (await backend.PublishTextAsync("kept", "one")).Sequence);

        for (var round = 0; round < 5; round++)
        {
            var names = Enumerable.Range(0, 99).Select(i => $"r{round}.t{i}").Append("kept").ToArray();
            using var client = await server.ConnectAsync(names);
            var id = (await backend.WaitForEventAsync(Kind.Connected)).ConnectionId;
            await client.CloseAsync(System.Net.WebSockets.WebSocketCloseStatus.NormalClosure, string.Empty, CancellationToken.None);
            await backend.WaitForEventAsync(Kind.Disconnected, id);
        }

        // The broadcast topic and the published one remain; the published one keeps counting.
        Assert.Equal(2, topics.Count);
        Assert.Equal(2ul, (await backend.PublishTextAsync("kept", "two")).Sequence);
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
