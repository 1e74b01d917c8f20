using Bridge.Tests.Infrastructure;
using Bridge.V1;

namespace Bridge.Tests.Sync;

/// <summary>The JSON subprotocol's requests that succeed: publish, ping, unsubscribe, and the opt-in broadcast topic.</summary>
public sealed class JsonRequestTests
{
    [Fact]
    public async Task Publish_reaches_the_listening_backend_as_a_client_message_and_is_answered_published_with_its_id()
    {
        await using var server = await BridgeServer.StartAsync();
        await using var backend = await PublisherSession.OpenAsync(server.Client);
        using var client = await JsonClient.ConnectAsync(server);

        await client.SendRawAsync("""{"type":"publish","id":"m1","topic":"chat","data":"héllo \"you\""}""");
        var published = await client.ReceiveAsync("published");
        Assert.Equal(("m1", "chat"), ((string?)published["id"], (string?)published["topic"]));
        var text = await backend.NextMessageAsync();
        Assert.Equal((client.ConnectionId, "chat", ClientMessage.PayloadOneofCase.Text, "héllo \"you\""), (text.ConnectionId, text.Topic, text.PayloadCase, text.Text));

        await client.SendRawAsync("""{"type":"publish","id":2,"topic":"frames","data":"AAEC/w==","encoding":"base64"}""");
        Assert.Equal("2", (await client.ReceiveAsync("published"))["id"]!.ToJsonString());
        var binary = await backend.NextMessageAsync();
        Assert.Equal((client.ConnectionId, "frames", ClientMessage.PayloadOneofCase.Binary), (binary.ConnectionId, binary.Topic, binary.PayloadCase));
        Assert.Equal([0, 1, 2, 255], binary.Binary.ToByteArray());

        // Without an id the answer has none; an empty payload is a payload.
        await client.SendRawAsync("""{"type":"publish","topic":"chat","data":""}""");
        Assert.False((await client.ReceiveAsync("published")).ContainsKey("id"));
        var empty = await backend.NextMessageAsync();
        Assert.Equal((ClientMessage.PayloadOneofCase.Text, ""), (empty.PayloadCase, empty.Text));
    }

    [Fact]
    public async Task Publish_reaches_only_the_streams_that_listen_to_its_topic_and_needs_no_subscription()
    {
        await using var server = await BridgeServer.StartAsync();
        await using var chat = await PublisherSession.OpenAsync(server.Client);
        await using var other = await PublisherSession.OpenAsync(server.Client);
        await chat.ListenAsync("chat");
        await other.ListenAsync("other");
        using var client = await JsonClient.ConnectAsync(server, "prices");
        await client.ReceiveAsync("subscribed");

        await client.SendRawAsync("""{"type":"publish","id":1,"topic":"chat","data":"hi"}""");
        await client.ReceiveAsync("published");
        var message = await chat.NextMessageAsync();
        Assert.Equal((client.ConnectionId, "chat", "hi"), (message.ConnectionId, message.Topic, message.Text));
        await other.AssertNoMessageAsync();
    }

    [Fact]
    public async Task Ping_is_answered_pong_with_its_id_in_request_order()
    {
        await using var server = await BridgeServer.StartAsync();
        using var client = await JsonClient.ConnectAsync(server);

        await client.SendRawAsync("""{"type":"ping"}""");
        await client.SendRawAsync("""{"type":"ping","id":41}""");
        await client.SendRawAsync("""{"type":"subscribe","id":"s","topic":"t"}""");
        await client.SendRawAsync("""{"type":"ping","id":"42"}""");

        var first = await client.ReceiveAsync("pong");
        Assert.False(first.ContainsKey("id"));
        Assert.Equal("41", (await client.ReceiveAsync("pong"))["id"]!.ToJsonString());
        Assert.Equal("\"s\"", (await client.ReceiveAsync("subscribed"))["id"]!.ToJsonString());
        Assert.Equal("\"42\"", (await client.ReceiveAsync("pong"))["id"]!.ToJsonString());
    }

    [Fact]
    public async Task After_unsubscribed_no_update_of_the_topic_arrives_while_other_topics_continue()
    {
        await using var server = await BridgeServer.StartAsync();
        await using var backend = await PublisherSession.OpenAsync(server.Client);
        using var client = await JsonClient.ConnectAsync(server, "news");
        await client.ReceiveAsync("subscribed");
        await client.SubscribeAsync("prices");

        await backend.PublishTextAsync("prices", "p1");
        await client.ExpectMessageAsync(1, "p1");

        await client.SendRawAsync("""{"type":"unsubscribe","id":"u","topic":"prices"}""");
        var unsubscribed = await client.ReceiveAsync("unsubscribed");
        Assert.Equal(("u", "prices"), ((string?)unsubscribed["id"], (string?)unsubscribed["topic"]));

        // The ack comes after the fan-out, so the pong would queue behind anything it sent.
        Assert.Equal(0u, (await backend.PublishTextAsync("prices", "p2")).Recipients);
        await client.PingAsync();
        await backend.PublishTextAsync("news", "n1");
        await client.ExpectMessageAsync(1, "n1");

        // Subscribing again starts from the topic's current position.
        var again = await client.SubscribeAsync("prices");
        Assert.Equal(2ul, (ulong)again["sequence"]!);
        await backend.PublishTextAsync("prices", "p3");
        await client.ExpectMessageAsync(3, "p3");
    }

    [Fact]
    public async Task Unsubscribing_from_a_query_topic_stops_it_too()
    {
        await using var server = await BridgeServer.StartAsync();
        await using var backend = await PublisherSession.OpenAsync(server.Client);
        using var client = await JsonClient.ConnectAsync(server, "news");
        await client.ReceiveAsync("subscribed");

        await client.SendRawAsync("""{"type":"unsubscribe","topic":"news"}""");
        Assert.False((await client.ReceiveAsync("unsubscribed")).ContainsKey("id"));
        await backend.PublishTextAsync("news", "n1");
        await client.PingAsync();
    }

    [Fact]
    public async Task The_broadcast_topic_reaches_a_json_connection_only_after_it_subscribes_to_it()
    {
        await using var server = await BridgeServer.StartAsync();
        await using var backend = await PublisherSession.OpenAsync(server.Client);
        using var client = await JsonClient.ConnectAsync(server);
        using var plain = await server.ConnectAsync();

        var before = await backend.PublishAsync(new Update { Text = "b1" });
        Assert.Equal(1u, before.Recipients); // the plain connection only
        Assert.Equal("b1", await plain.ReceiveTextAsync());
        await client.PingAsync();

        var subscribed = await client.SubscribeAsync("", id: 1);
        Assert.Equal((1ul, before.Epoch), ((ulong)subscribed["sequence"]!, (string)subscribed["epoch"]!));
        var after = await backend.PublishAsync(new Update { Text = "b2" });
        Assert.Equal(2u, after.Recipients);
        var message = await client.ExpectMessageAsync(2, "b2");
        Assert.Equal(("", before.Epoch), ((string?)message["topic"], (string?)message["epoch"]));
        Assert.Equal("b2", await plain.ReceiveTextAsync());

        // Like any topic it can be resumed, and unsubscribed.
        using var resumer = await JsonClient.ConnectAsync(server);
        Assert.Equal(true, (bool?)(await resumer.SubscribeAsync("", 1, before.Epoch))["recovered"]);
        await resumer.ExpectMessageAsync(2, "b2");

        await client.SendRawAsync("""{"type":"unsubscribe","topic":""}""");
        await client.ReceiveAsync("unsubscribed");
        await backend.PublishAsync(new Update { Text = "b3" });
        await client.PingAsync();
    }
}
