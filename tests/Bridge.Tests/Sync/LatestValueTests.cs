using Bridge.Tests.Infrastructure;
using Bridge.Topics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Time.Testing;

namespace Bridge.Tests.Sync;

/// <summary><c>Bridge:Topics:N:KeepLatest</c>: every new subscriber of a matching topic receives its last update first.</summary>
public sealed class LatestValueTests
{
    private static Dictionary<string, string> KeepLatestPrices(params (string Key, string Value)[] more)
    {
        var settings = new Dictionary<string, string>
        {
            ["Topics:0:Pattern"] = "prices.*",
            ["Topics:0:KeepLatest"] = "true",
        };
        foreach (var (key, value) in more)
        {
            settings[key] = value;
        }

        return settings;
    }

    [Fact]
    public async Task A_plain_connection_opened_after_publishes_gets_the_latest_payload_as_its_first_frame()
    {
        await using var server = await BridgeServer.StartAsync(KeepLatestPrices());
        await using var backend = await PublisherSession.OpenAsync(server.Client);
        await backend.PublishTextAsync("prices.eur", "1.08");
        await backend.PublishTextAsync("prices.eur", "1.09");
        await backend.PublishAsync(new V1.Update { Topic = "prices.raw", Binary = Google.Protobuf.ByteString.CopyFrom(1, 2, 3) });

        using var client = await server.ConnectAsync("prices.eur", "prices.raw");
        var first = await client.ReceiveMessageAsync();
        var second = await client.ReceiveMessageAsync();
        Assert.Equal((System.Net.WebSockets.WebSocketMessageType.Text, "1.09"), (first.Type, first.Text));
        Assert.Equal(System.Net.WebSockets.WebSocketMessageType.Binary, second.Type);
        Assert.Equal([1, 2, 3], second.Payload);

        await backend.PublishTextAsync("prices.eur", "1.10");
        Assert.Equal("1.10", await client.ReceiveTextAsync());
    }

    [Fact]
    public async Task A_json_subscriber_gets_subscribed_then_the_latest_message_then_live_updates()
    {
        await using var server = await BridgeServer.StartAsync(KeepLatestPrices());
        await using var backend = await PublisherSession.OpenAsync(server.Client);
        await backend.PublishTextAsync("prices.eur", "1.08");
        var latest = await backend.PublishTextAsync("prices.eur", "1.09");

        using var client = await JsonClient.ConnectAsync(server);
        var subscribed = await client.SubscribeAsync("prices.eur", id: 5);
        Assert.Equal((2ul, latest.Epoch), ((ulong)subscribed["sequence"]!, (string)subscribed["epoch"]!));
        var message = await client.ExpectMessageAsync(2, "1.09");
        Assert.Equal(latest.Epoch, (string?)message["epoch"]);
        await client.PingAsync();

        await backend.PublishTextAsync("prices.eur", "1.10");
        await client.ExpectMessageAsync(3, "1.10");
    }

    [Fact]
    public async Task A_query_topic_on_a_json_connection_gets_the_latest_value_right_after_its_subscribed()
    {
        await using var server = await BridgeServer.StartAsync(KeepLatestPrices());
        await using var backend = await PublisherSession.OpenAsync(server.Client);
        await backend.PublishTextAsync("prices.eur", "1.09");

        using var client = await JsonClient.ConnectAsync(server, "prices.eur");
        var subscribed = await client.ReceiveAsync("subscribed");
        Assert.Equal(("prices.eur", 1ul), ((string?)subscribed["topic"], (ulong)subscribed["sequence"]!));
        await client.ExpectMessageAsync(1, "1.09");
    }

    [Fact]
    public async Task A_resume_that_cannot_be_recovered_gets_recovered_false_then_the_latest_value()
    {
        await using var server = await BridgeServer.StartAsync(KeepLatestPrices(("History:MaxMessages", "2")));
        await using var backend = await PublisherSession.OpenAsync(server.Client);
        string epoch = "";
        for (var i = 1; i <= 4; i++)
        {
            epoch = (await backend.PublishTextAsync("prices.eur", "v" + i)).Epoch;
        }

        foreach (var (since, sinceEpoch) in new[] { (1ul, epoch), (2ul, "zzzzzzzzzz"), (9ul, epoch) })
        {
            using var client = await JsonClient.ConnectAsync(server);
            var answer = await client.SubscribeAsync("prices.eur", since, sinceEpoch);
            Assert.Equal((false, 4ul), ((bool?)answer["recovered"], (ulong)answer["sequence"]!));
            await client.ExpectMessageAsync(4, "v4");
            await client.PingAsync();
        }
    }

    [Fact]
    public async Task A_recovered_resume_gets_the_missed_updates_and_not_the_latest_value_again()
    {
        await using var server = await BridgeServer.StartAsync(KeepLatestPrices());
        await using var backend = await PublisherSession.OpenAsync(server.Client);
        await backend.PublishTextAsync("prices.eur", "v1");
        var epoch = (await backend.PublishTextAsync("prices.eur", "v2")).Epoch;

        using var behind = await JsonClient.ConnectAsync(server);
        Assert.Equal(true, (bool?)(await behind.SubscribeAsync("prices.eur", 1, epoch))["recovered"]);
        await behind.ExpectMessageAsync(2, "v2");
        await behind.PingAsync();

        using var upToDate = await JsonClient.ConnectAsync(server);
        Assert.Equal(true, (bool?)(await upToDate.SubscribeAsync("prices.eur", 2, epoch))["recovered"]);
        await upToDate.PingAsync();
    }

    [Fact]
    public async Task A_topic_without_KeepLatest_gives_a_new_subscriber_nothing_until_the_next_publish()
    {
        await using var server = await BridgeServer.StartAsync(KeepLatestPrices());
        await using var backend = await PublisherSession.OpenAsync(server.Client);
        await backend.PublishTextAsync("news", "old");
        await backend.PublishTextAsync("prices", "not matched by prices.*");

        using var json = await JsonClient.ConnectAsync(server);
        Assert.Equal(1ul, (ulong)(await json.SubscribeAsync("news"))["sequence"]!);
        Assert.Equal(1ul, (ulong)(await json.SubscribeAsync("prices"))["sequence"]!);
        await json.PingAsync();
        using var plain = await server.ConnectAsync("news");

        await backend.PublishTextAsync("news", "new");
        await json.ExpectMessageAsync(2, "new");
        Assert.Equal("new", await plain.ReceiveTextAsync());
    }

    [Fact]
    public async Task The_latest_value_outlives_MaxAge_on_a_topic_that_has_a_subscriber()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var server = await BridgeServer.StartAsync(time, KeepLatestPrices(("History:MaxAge", "00:01:00")));
        var topics = server.Services.GetRequiredService<TopicRegistry>();
        await using var backend = await PublisherSession.OpenAsync(server.Client);
        using var watcher = await server.ConnectAsync("prices.eur");
        await backend.PublishTextAsync("prices.eur", "v1");
        var latest = await backend.PublishTextAsync("prices.eur", "v2");
        Assert.Equal("v1", await watcher.ReceiveTextAsync());
        Assert.Equal("v2", await watcher.ReceiveTextAsync());

        time.Advance(TimeSpan.FromMinutes(5));
        await Maintenance.WaitUntilAsync(topics, () => topics.Find("prices.eur")?.History.Count == 0, "the sweep did not expire the history after History:MaxAge");

        // The history is gone, the kept value is not.
        using var plain = await server.ConnectAsync("prices.eur");
        Assert.Equal("v2", await plain.ReceiveTextAsync());
        using var json = await JsonClient.ConnectAsync(server);
        var answer = await json.SubscribeAsync("prices.eur", 0, latest.Epoch);
        Assert.Equal((false, 2ul, latest.Epoch), ((bool?)answer["recovered"], (ulong)answer["sequence"]!, (string)answer["epoch"]!));
        await json.ExpectMessageAsync(2, "v2");
    }
}
