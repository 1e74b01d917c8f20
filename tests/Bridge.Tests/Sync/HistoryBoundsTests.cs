using Bridge.Diagnostics;
using Bridge.Tests.Infrastructure;
using Bridge.Topics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Time.Testing;

namespace Bridge.Tests.Sync;

/// <summary>Bridge:History:MaxMessages, MaxAge and MaxBytes: what can be resumed, and what is evicted.</summary>
public sealed class HistoryBoundsTests
{
    [Fact]
    public async Task With_MaxMessages_3_a_resume_whose_missed_updates_are_all_retained_gets_exactly_those()
    {
        await using var server = await BridgeServer.StartAsync(new Dictionary<string, string> { ["History:MaxMessages"] = "3" });
        await using var backend = await PublisherSession.OpenAsync(server.Client);
        string epoch = "";
        for (var i = 1; i <= 5; i++)
        {
            epoch = (await backend.PublishTextAsync("t", "p" + i)).Epoch;
        }

        // History holds 3, 4, 5: resuming after 2 misses exactly those.
        using var client = await JsonClient.ConnectAsync(server);
        var resumed = await client.SubscribeAsync("t", 2, epoch, id: 1);
        Assert.Equal((true, 5ul, epoch), ((bool?)resumed["recovered"], (ulong)resumed["sequence"]!, (string)resumed["epoch"]!));
        await client.ExpectMessageAsync(3, "p3");
        await client.ExpectMessageAsync(4, "p4");
        await client.ExpectMessageAsync(5, "p5");
        await client.PingAsync();

        // And live updates follow the replay.
        await backend.PublishTextAsync("t", "p6");
        await client.ExpectMessageAsync(6, "p6");

        // Resuming after 4 (of 6) replays 5 and 6 only.
        using var other = await JsonClient.ConnectAsync(server);
        Assert.Equal(true, (bool?)(await other.SubscribeAsync("t", 4, epoch))["recovered"]);
        await other.ExpectMessageAsync(5, "p5");
        await other.ExpectMessageAsync(6, "p6");
        await other.PingAsync();
    }

    [Fact]
    public async Task With_MaxMessages_3_a_resume_from_beyond_the_history_is_not_recovered_and_replays_nothing()
    {
        await using var server = await BridgeServer.StartAsync(new Dictionary<string, string> { ["History:MaxMessages"] = "3" });
        await using var backend = await PublisherSession.OpenAsync(server.Client);
        var last = await backend.PublishTextAsync("t", "p1");
        for (var i = 2; i <= 5; i++)
        {
            last = await backend.PublishTextAsync("t", "p" + i);
        }

        // History holds 3, 4, 5. Update 2 is gone, so "everything after 1" cannot be given; nor "everything after 0".
        foreach (var since in new ulong[] { 1, 0 })
        {
            using var client = await JsonClient.ConnectAsync(server);
            var answer = await client.SubscribeAsync("t", since, last.Epoch);
            Assert.Equal((false, last.Sequence, last.Epoch), ((bool?)answer["recovered"], (ulong)answer["sequence"]!, (string)answer["epoch"]!));
            await client.PingAsync();

            // Live updates follow.
            last = await backend.PublishTextAsync("t", "live" + since);
            await client.ExpectMessageAsync(last.Sequence, "live" + since);
        }
    }

    [Fact]
    public async Task With_MaxMessages_0_a_resume_succeeds_only_when_nothing_was_missed()
    {
        await using var server = await BridgeServer.StartAsync(new Dictionary<string, string> { ["History:MaxMessages"] = "0" });
        await using var backend = await PublisherSession.OpenAsync(server.Client);
        await backend.PublishTextAsync("t", "p1");
        var epoch = (await backend.PublishTextAsync("t", "p2")).Epoch;

        using var missedOne = await JsonClient.ConnectAsync(server);
        Assert.Equal(false, (bool?)(await missedOne.SubscribeAsync("t", 1, epoch))["recovered"]);
        using var upToDate = await JsonClient.ConnectAsync(server);
        Assert.Equal(true, (bool?)(await upToDate.SubscribeAsync("t", 2, epoch))["recovered"]);
        await missedOne.PingAsync();
        await upToDate.PingAsync();
    }

    [Fact]
    public async Task After_MaxAge_the_history_expires_so_an_old_position_is_no_longer_recovered_though_the_epoch_stays()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var server = await BridgeServer.StartAsync(time, new Dictionary<string, string> { ["History:MaxAge"] = "00:01:00" });
        var topics = server.Services.GetRequiredService<TopicRegistry>();
        await using var backend = await PublisherSession.OpenAsync(server.Client);

        // A subscriber keeps the topic (and its epoch) alive; only its history ages.
        using var watcher = await JsonClient.ConnectAsync(server, "t");
        var epoch = (string)(await watcher.ReceiveAsync("subscribed"))["epoch"]!;
        await backend.PublishTextAsync("t", "p1");
        await backend.PublishTextAsync("t", "p2");

        time.Advance(TimeSpan.FromSeconds(30));
        using (var withinAge = await JsonClient.ConnectAsync(server))
        {
            Assert.Equal(true, (bool?)(await withinAge.SubscribeAsync("t", 0, epoch))["recovered"]);
            await withinAge.ExpectMessageAsync(1, "p1");
            await withinAge.ExpectMessageAsync(2, "p2");
        }

        time.Advance(TimeSpan.FromSeconds(61));
        await Maintenance.WaitUntilAsync(topics, () => topics.Find("t")?.History.Count == 0, "the sweep did not expire history older than History:MaxAge");

        using var late = await JsonClient.ConnectAsync(server);
        var answer = await late.SubscribeAsync("t", 0, epoch);
        Assert.Equal((false, 2ul, epoch), ((bool?)answer["recovered"], (ulong)answer["sequence"]!, (string)answer["epoch"]!));
        await late.PingAsync();

        // Up to date is still up to date.
        using var current = await JsonClient.ConnectAsync(server);
        Assert.Equal(true, (bool?)(await current.SubscribeAsync("t", 2, epoch))["recovered"]);
        await current.PingAsync();
    }

    [Fact]
    public async Task Without_subscribers_a_topic_idle_for_MaxAge_is_evicted_so_a_resume_finds_a_new_epoch()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var server = await BridgeServer.StartAsync(time, new Dictionary<string, string> { ["History:MaxAge"] = "00:01:00" });
        var topics = server.Services.GetRequiredService<TopicRegistry>();
        await using var backend = await PublisherSession.OpenAsync(server.Client);
        var old = await backend.PublishTextAsync("t", "p1");

        time.Advance(TimeSpan.FromSeconds(61));
        await Maintenance.WaitUntilAsync(topics, () => topics.Find("t") is null, "the idle topic was not evicted after History:MaxAge");

        using var client = await JsonClient.ConnectAsync(server);
        var answer = await client.SubscribeAsync("t", 1, old.Epoch);
        Assert.Equal(false, (bool?)answer["recovered"]);
        Assert.Equal(0ul, (ulong)answer["sequence"]!);
        Assert.NotEqual(old.Epoch, (string)answer["epoch"]!);
        await client.PingAsync();
    }

    [Fact]
    public async Task Over_the_memory_budget_idle_topics_are_evicted_but_a_subscribed_topic_keeps_its_epoch_and_every_update()
    {
        const long budget = 64 * 1024;
        await using var server = await BridgeServer.StartAsync(new Dictionary<string, string> { ["History:MaxBytes"] = budget.ToString(System.Globalization.CultureInfo.InvariantCulture) });
        var topics = server.Services.GetRequiredService<TopicRegistry>();
        using var evicted = new MetricCollector<long>(server.Services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>(), BridgeMetrics.MeterName, "bridge.topics.evicted");
        await using var backend = await PublisherSession.OpenAsync(server.Client);
        using var subscriber = await JsonClient.ConnectAsync(server, "kept");
        var epoch = (string)(await subscriber.ReceiveAsync("subscribed"))["epoch"]!;

        // Each idle topic retains about 2.5 KB (1 KiB payload, estimated twice, plus overhead):
        // 300 of them are ~12 times the budget.
        var payload = new string('x', 1024);
        var keptSequence = 0ul;
        var maxCount = 0;
        var maxRetained = 0L;
        for (var i = 0; i < 300; i++)
        {
            var idle = await backend.PublishTextAsync($"idle.{i}", payload);
            Assert.Equal(1ul, idle.Sequence);
            if (i % 10 == 0)
            {
                var kept = await backend.PublishTextAsync("kept", $"k{i}");
                Assert.Equal((++keptSequence, epoch), (kept.Sequence, kept.Epoch));
            }

            // The sweeper enforces the budget in the background; a publisher that outruns it enforces it
            // itself past a quarter over, so the overshoot is bounded, never growing.
            maxRetained = Math.Max(maxRetained, topics.RetainedBytes);
            maxCount = Math.Max(maxCount, topics.Count);
        }

        await Maintenance.WaitUntilAsync(topics, () => topics.RetainedBytes <= budget, "retained bytes stayed over History:MaxBytes");
        Assert.InRange(maxRetained, 0, budget + budget / 4 + 4096);
        Assert.InRange(maxCount, 2, (int)(2 * budget / 2500) + 2);
        Assert.True(evicted.GetMeasurementSnapshot().EvaluateAsCounter() >= 250, "idle topics were not evicted over the budget");
        Assert.NotNull(topics.Find("kept"));
        Assert.Null(topics.Find("idle.0"));

        // The subscriber was never moved to another epoch and missed nothing.
        for (var n = 1ul; n <= keptSequence; n++)
        {
            var message = await subscriber.ReceiveMessageAsync();
            Assert.Equal((n, epoch), (message.Sequence, (string?)message.Envelope["epoch"]));
        }

        var after = await backend.PublishTextAsync("kept", "after");
        Assert.Equal((keptSequence + 1, epoch), (after.Sequence, after.Epoch));
    }

    [Fact]
    public async Task Publishing_completes_when_state_that_cannot_be_evicted_exceeds_the_budget()
    {
        await using var server = await BridgeServer.StartAsync(new Dictionary<string, string>
        {
            ["History:MaxBytes"] = "65536",
            ["Topics:0:Pattern"] = "big",
            ["Topics:0:KeepLatest"] = "true",
        });
        using var subscriber = await server.ConnectAsync("big");
        await server.Client.PublishOneAsync(new V1.Update { Topic = "big", Text = new string('x', 40_000) });

        var ack = await server.Client.PublishOneAsync(new V1.Update { Topic = "other", Text = "hi" }, deadline: DateTime.UtcNow + TestTimeouts.Signal);
        Assert.Equal(1ul, ack.Sequence);
        Assert.Equal(new string('x', 40_000), await subscriber.ReceiveTextAsync());
    }

    [Fact]
    public async Task Subscription_churn_by_one_client_evicts_empty_topics_before_anyone_s_history()
    {
        await using var server = await BridgeServer.StartAsync(new Dictionary<string, string> { ["History:MaxBytes"] = "65536" });
        await using var backend = await PublisherSession.OpenAsync(server.Client);
        var first = await backend.PublishTextAsync("keep", "1");
        await backend.PublishTextAsync("keep", "2");

        using var client = await JsonClient.ConnectAsync(server);
        for (var i = 0; i < 300; i++)
        {
            await client.SendRawAsync($$"""{"type":"subscribe","topic":"junk{{i}}"}""");
            await client.ReceiveAsync("subscribed");
            await client.SendRawAsync($$"""{"type":"unsubscribe","topic":"junk{{i}}"}""");
            await client.ReceiveAsync("unsubscribed");
        }

        var topics = server.Services.GetRequiredService<TopicRegistry>();
        await Maintenance.WaitUntilAsync(topics, () => topics.RetainedBytes <= 65536, "retained bytes stayed over History:MaxBytes");
        var again = await backend.PublishTextAsync("keep", "3");
        Assert.Equal((3ul, first.Epoch), (again.Sequence, again.Epoch));
    }
}
