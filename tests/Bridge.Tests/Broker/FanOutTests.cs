using System.Net.WebSockets;
using System.Text;
using Bridge.Tests.Infrastructure;
using Bridge.V1;
using Google.Protobuf;

namespace Bridge.Tests.Broker;

public sealed class FanOutTests
{
    [Fact]
    public async Task Text_and_binary_updates_reach_every_client_byte_for_byte_as_one_frame_each()
    {
        await using var server = await BridgeServer.StartAsync();
        var clients = await Task.WhenAll(Enumerable.Range(0, 25).Select(_ => server.ConnectAsync()));
        await using var publisher = await PublisherSession.OpenAsync(server.Client);

        var text = "héllo → 世界 " + new string('x', 70_000);
        var binary = Enumerable.Range(0, 100_000).Select(i => (byte)(i * 7)).ToArray();
        var textAck = await publisher.PublishAsync(new Update { Text = text });
        var binaryAck = await publisher.PublishAsync(new Update { Binary = ByteString.CopyFrom(binary) });
        var emptyAck = await publisher.PublishAsync(new Update { Text = string.Empty });
        var emptyBinaryAck = await publisher.PublishAsync(new Update { Binary = ByteString.Empty });

        Assert.All([textAck, binaryAck, emptyAck, emptyBinaryAck], ack => Assert.Equal(string.Empty, ack.Error));
        Assert.Equal(25u, textAck.Recipients);
        foreach (var client in clients)
        {
            var first = await client.ReceiveMessageAsync();
            Assert.Equal(WebSocketMessageType.Text, first.Type);
            Assert.Equal(text, first.Text);

            var second = await client.ReceiveMessageAsync();
            Assert.Equal(WebSocketMessageType.Binary, second.Type);
            Assert.Equal(binary, second.Payload);

            var third = await client.ReceiveMessageAsync();
            Assert.Equal(WebSocketMessageType.Text, third.Type);
            Assert.Empty(third.Payload);

            var fourth = await client.ReceiveMessageAsync();
            Assert.Equal(WebSocketMessageType.Binary, fourth.Type);
            Assert.Empty(fourth.Payload);
        }
    }

    [Fact]
    public async Task Updates_reach_only_clients_subscribed_to_their_topic_and_broadcast_reaches_all()
    {
        await using var server = await BridgeServer.StartAsync();
        using var prices = await server.ConnectAsync("prices");
        using var news = await server.ConnectAsync("news");
        using var both = await server.ConnectAsync("prices", "news");
        using var none = await server.ConnectAsync();
        await using var publisher = await PublisherSession.OpenAsync(server.Client);

        Assert.Equal(2u, (await publisher.PublishTextAsync("prices", "p1")).Recipients);
        Assert.Equal(2u, (await publisher.PublishTextAsync("news", "n1")).Recipients);
        Assert.Equal(0u, (await publisher.PublishTextAsync("weather", "w1")).Recipients);
        Assert.Equal(4u, (await publisher.PublishTextAsync(string.Empty, "all")).Recipients);

        Assert.Equal("p1", await prices.ReceiveTextAsync());
        Assert.Equal("all", await prices.ReceiveTextAsync());
        Assert.Equal("n1", await news.ReceiveTextAsync());
        Assert.Equal("all", await news.ReceiveTextAsync());
        Assert.Equal("p1", await both.ReceiveTextAsync());
        Assert.Equal("n1", await both.ReceiveTextAsync());
        Assert.Equal("all", await both.ReceiveTextAsync());
        Assert.Equal("all", await none.ReceiveTextAsync());
        await none.AssertNothingReceivedAsync();
    }

    [Fact]
    public async Task Updates_arrive_in_publish_order_with_sequences_counting_per_topic()
    {
        await using var server = await BridgeServer.StartAsync();
        using var a = await server.ConnectAsync("a");
        using var b = await server.ConnectAsync("b");
        await using var publisher = await PublisherSession.OpenAsync(server.Client);

        for (var i = 1; i <= 200; i++)
        {
            await publisher.SendAsync(new PublishRequest { Update = new Update { Topic = i % 2 == 0 ? "a" : "b", Text = i.ToString(), Id = "u" + i } });
        }

        var expectedSequence = new Dictionary<string, ulong> { ["a"] = 0, ["b"] = 0 };
        for (var i = 1; i <= 200; i++)
        {
            var ack = await publisher.NextAckAsync();
            var topic = i % 2 == 0 ? "a" : "b";
            Assert.Equal("u" + i, ack.Id);
            Assert.Equal(topic, ack.Topic);
            Assert.Equal(++expectedSequence[topic], ack.Sequence);
            Assert.Equal(1u, ack.Recipients);
        }

        for (var i = 2; i <= 200; i += 2)
        {
            Assert.Equal(i.ToString(), await a.ReceiveTextAsync());
        }

        for (var i = 1; i <= 200; i += 2)
        {
            Assert.Equal(i.ToString(), await b.ReceiveTextAsync());
        }
    }

    [Fact]
    public async Task PublishOne_delivers_and_acks_like_the_stream()
    {
        await using var server = await BridgeServer.StartAsync();
        using var client = await server.ConnectAsync("t");

        var first = await server.Client.PublishOneAsync(new Update { Topic = "t", Text = "one", Id = "x" });
        var second = await server.Client.PublishOneAsync(new Update { Topic = "t", Binary = ByteString.CopyFromUtf8("two") });
        var rejected = await server.Client.PublishOneAsync(new Update { Topic = "t" });

        Assert.Equal(("x", "t", 1ul, 1u, ""), (first.Id, first.Topic, first.Sequence, first.Recipients, first.Error));
        Assert.Equal(2ul, second.Sequence);
        Assert.Equal("update has no payload: set text or binary", rejected.Error);
        Assert.Equal(0ul, rejected.Sequence);
        Assert.Equal("one", await client.ReceiveTextAsync());
        var binary = await client.ReceiveMessageAsync();
        Assert.Equal(WebSocketMessageType.Binary, binary.Type);
        Assert.Equal(Encoding.UTF8.GetBytes("two"), binary.Payload);
    }
}
