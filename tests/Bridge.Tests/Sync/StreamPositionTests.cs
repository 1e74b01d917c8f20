using System.Text.RegularExpressions;
using Bridge.Tests.Infrastructure;
using Bridge.V1;
using Google.Protobuf;
using Kind = Bridge.V1.ClientEvent.Types.Kind;

namespace Bridge.Tests.Sync;

/// <summary>docs/protocol.md, "Stream positions and history" and the JSON <c>message</c> envelope.</summary>
public sealed partial class StreamPositionTests
{
    [GeneratedRegex("^[0-9a-z]{10}$")]
    private static partial Regex EpochSyntax();

    [Fact]
    public async Task Acks_count_1_2_3_per_topic_with_an_epoch_stable_within_the_topic_and_different_between_topics()
    {
        await using var server = await BridgeServer.StartAsync();
        await using var backend = await PublisherSession.OpenAsync(server.Client);

        var a = new List<Ack>();
        var b = new List<Ack>();
        for (var i = 0; i < 3; i++)
        {
            a.Add(await backend.PublishTextAsync("a", "a" + i));
            b.Add(await backend.PublishTextAsync("b", "b" + i));
        }

        Assert.Equal([1ul, 2ul, 3ul], a.Select(x => x.Sequence));
        Assert.Equal([1ul, 2ul, 3ul], b.Select(x => x.Sequence));
        Assert.Matches(EpochSyntax(), a[0].Epoch);
        Assert.Matches(EpochSyntax(), b[0].Epoch);
        Assert.All(a, x => Assert.Equal(a[0].Epoch, x.Epoch));
        Assert.All(b, x => Assert.Equal(b[0].Epoch, x.Epoch));
        Assert.NotEqual(a[0].Epoch, b[0].Epoch);

        // PublishOne shares the topic's position with the stream.
        var one = await server.Client.PublishOneAsync(new Update { Topic = "a", Text = "a3" });
        Assert.Equal((4ul, a[0].Epoch), (one.Sequence, one.Epoch));
    }

    [Fact]
    public async Task A_rejected_update_and_a_direct_reply_take_no_position_and_carry_no_epoch()
    {
        await using var server = await BridgeServer.StartAsync();
        await using var backend = await PublisherSession.OpenAsync(server.Client);
        using var client = await JsonClient.ConnectAsync(server);

        var rejected = await backend.PublishTextAsync("bad topic", "x");
        var reply = await backend.PublishAsync(new Update { Topic = "t", Text = "x", ConnectionId = client.ConnectionId });
        var first = await backend.PublishTextAsync("t", "x");

        Assert.NotEmpty(rejected.Error);
        Assert.Equal((0ul, ""), (rejected.Sequence, rejected.Epoch));
        Assert.Equal((0ul, "", 1u), (reply.Sequence, reply.Epoch, reply.Recipients));
        Assert.Equal(1ul, first.Sequence);
    }

    [Fact]
    public async Task A_json_subscriber_gets_the_topic_position_then_messages_with_topic_sequence_epoch_and_exact_text()
    {
        await using var server = await BridgeServer.StartAsync();
        await using var backend = await PublisherSession.OpenAsync(server.Client);
        using var client = await JsonClient.ConnectAsync(server);

        var fresh = await client.SubscribeAsync("prices", id: "s1");
        Assert.Equal("s1", (string?)fresh["id"]);
        Assert.Equal(0ul, (ulong)fresh["sequence"]!);
        Assert.Matches(EpochSyntax(), (string)fresh["epoch"]!);
        Assert.False(fresh.ContainsKey("recovered"), "recovered is only present when the request had since");

        const string text = "{\"eur\":1.09} \"quoted\" \\ ü € 😀 \n\t";
        var ack = await backend.PublishTextAsync("prices", text);
        Assert.Equal((string)fresh["epoch"]!, ack.Epoch);

        var message = await client.ReceiveAsync("message");
        Assert.Equal("prices", (string?)message["topic"]);
        Assert.Equal(1ul, (ulong)message["sequence"]!);
        Assert.Equal(ack.Epoch, (string?)message["epoch"]);
        Assert.Equal(text, (string?)message["data"]);
        Assert.False(message.ContainsKey("encoding"));
        Assert.False(message.ContainsKey("skipped"));

        // A later subscriber sees the position the topic has reached.
        using var later = await JsonClient.ConnectAsync(server);
        var position = await later.SubscribeAsync("prices");
        Assert.Equal((1ul, ack.Epoch), ((ulong)position["sequence"]!, (string)position["epoch"]!));
    }

    [Fact]
    public async Task A_binary_update_arrives_as_base64_data_with_encoding_base64()
    {
        await using var server = await BridgeServer.StartAsync();
        await using var backend = await PublisherSession.OpenAsync(server.Client);
        using var client = await JsonClient.ConnectAsync(server, "frames");
        await client.ReceiveAsync("subscribed");

        byte[] payload = [0, 1, 2, 3, 0xfb, 0xff];
        var ack = await backend.PublishAsync(new Update { Topic = "frames", Binary = ByteString.CopyFrom(payload) });
        var empty = await backend.PublishAsync(new Update { Topic = "frames", Binary = ByteString.Empty });

        var message = await client.ReceiveAsync("message");
        Assert.Equal(("frames", 1ul, ack.Epoch), ((string?)message["topic"], (ulong)message["sequence"]!, (string?)message["epoch"]));
        Assert.Equal("base64", (string?)message["encoding"]);
        Assert.Equal(Convert.ToBase64String(payload), (string?)message["data"]);
        Assert.Equal(payload, Convert.FromBase64String((string)message["data"]!));

        var second = await client.ReceiveAsync("message");
        Assert.Equal((2ul, empty.Epoch, "", "base64"), ((ulong)second["sequence"]!, (string?)second["epoch"], (string?)second["data"], (string?)second["encoding"]));
    }

    [Fact]
    public async Task A_direct_reply_arrives_as_a_message_with_its_topic_and_no_sequence_or_epoch()
    {
        await using var server = await BridgeServer.StartAsync();
        await using var backend = await PublisherSession.OpenAsync(server.Client);
        using var client = await JsonClient.ConnectAsync(server);
        Assert.Equal(client.ConnectionId, (await backend.WaitForEventAsync(Kind.Connected)).ConnectionId);

        var text = await backend.PublishAsync(new Update { Topic = "replies", Text = "welcome", ConnectionId = client.ConnectionId });
        await backend.PublishAsync(new Update { Topic = "replies", Binary = ByteString.CopyFrom(9, 8), ConnectionId = client.ConnectionId });
        Assert.Equal(1u, text.Recipients);

        var message = await client.ReceiveAsync("message");
        Assert.Equal(("replies", "welcome"), ((string?)message["topic"], (string?)message["data"]));
        Assert.False(message.ContainsKey("sequence"), message.ToJsonString());
        Assert.False(message.ContainsKey("epoch"), message.ToJsonString());

        var binary = await client.ReceiveAsync("message");
        Assert.Equal(("replies", "CQg=", "base64"), ((string?)binary["topic"], (string?)binary["data"], (string?)binary["encoding"]));
        Assert.False(binary.ContainsKey("sequence"), binary.ToJsonString());

        // The reply took no place in the topic: its first update is still sequence 1.
        Assert.Equal(1ul, (await backend.PublishTextAsync("replies", "first")).Sequence);
    }
}
