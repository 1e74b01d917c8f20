using Bridge.Tests.Infrastructure;

namespace Bridge.Tests.Sse;

public sealed class SseResumeTests
{
    [Fact]
    public async Task A_stream_starts_with_retry_an_id_naming_every_position_and_a_welcome()
    {
        await using var server = await BridgeServer.StartAsync();
        await using var backend = await PublisherSession.OpenAsync(server.Client);
        var ack = await backend.PublishTextAsync("prices", "before");

        using var client = await SseClient.ConnectAsync(server.SseUri("topic=prices"));
        Assert.Equal("text/event-stream", client.Response.Content.Headers.ContentType?.MediaType);
        var welcome = await client.ReceiveAsync();
        Assert.Equal("welcome", welcome.Type);
        Assert.Equal("2000", client.Retry);
        Assert.StartsWith($"prices=1.{ack.Epoch},=0.", welcome.Id, StringComparison.Ordinal);
        Assert.Contains("connectionId", welcome.Data, StringComparison.Ordinal);

        await backend.PublishTextAsync("prices", "line one\nline two");
        var update = await client.ReceiveAsync();
        Assert.Equal(("message", "line one\nline two"), (update.Type, update.Data));
        Assert.StartsWith($"prices=2.{ack.Epoch},", update.Id, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Reconnecting_with_the_last_event_id_replays_exactly_what_was_missed()
    {
        await using var server = await BridgeServer.StartAsync();
        await using var backend = await PublisherSession.OpenAsync(server.Client);
        string lastId;
        using (var first = await SseClient.ConnectAsync(server.SseUri("topic=a&topic=b")))
        {
            await first.ReceiveAsync(); // welcome
            await backend.PublishTextAsync("a", "a1");
            Assert.Equal("a1", (await first.ReceiveAsync()).Data);
            lastId = first.LastEventId;
        }

        await backend.PublishTextAsync("b", "b1");
        await backend.PublishTextAsync("a", "a2");
        await backend.PublishAsync(new V1.Update { Topic = "", Binary = Google.Protobuf.ByteString.CopyFrom(1, 2, 3) });

        using var second = await SseClient.ConnectAsync(server.SseUri("topic=a&topic=b"), lastId);
        Assert.Equal("welcome", (await second.ReceiveAsync()).Type);
        // A replay comes topic by topic, each topic in order.
        var replayed = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            var e = await second.ReceiveAsync();
            replayed.Add($"{e.Type}:{e.Data}");
        }

        Assert.Equal(["message:a2", "message:b1", "binary:AQID"], replayed);
        await backend.PublishTextAsync("a", "a3");
        Assert.Equal("a3", (await second.ReceiveAsync()).Data);
    }

    [Fact]
    public async Task An_unreadable_or_stale_id_gets_an_unrecovered_event_and_the_stream_continues_live()
    {
        await using var server = await BridgeServer.StartAsync();
        await using var backend = await PublisherSession.OpenAsync(server.Client);
        foreach (var lastEventId in new[] { "garbage", "a=5.zzzzzzzzzz" })
        {
            using var client = await SseClient.ConnectAsync(server.SseUri("topic=a"), lastEventId);
            Assert.Equal(System.Net.HttpStatusCode.OK, client.Response.StatusCode);
            Assert.Equal("welcome", (await client.ReceiveAsync()).Type);
            var unrecovered = await client.ReceiveAsync();
            Assert.Equal("unrecovered", unrecovered.Type);
            Assert.Contains("\"a\"", unrecovered.Data, StringComparison.Ordinal);
            await backend.PublishTextAsync("a", "live");
            Assert.Equal("live", (await client.ReceiveAsync()).Data);
        }
    }
}
