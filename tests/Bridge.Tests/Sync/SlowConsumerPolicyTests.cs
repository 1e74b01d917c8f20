using System.Globalization;
using Bridge.Diagnostics;
using Bridge.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;

namespace Bridge.Tests.Sync;

/// <summary>
/// docs/protocol.md, "Slow consumers, per topic": with <c>drop-oldest</c> or <c>conflate</c> a
/// client that falls behind stays connected, always gets the newest update, and is told exactly
/// how many it skipped. (The default <c>disconnect</c> is covered by Connections/SlowConsumerTests.)
/// </summary>
public sealed class SlowConsumerPolicyTests
{
    private const int Updates = 300;
    private static readonly string[] Topics = ["ticker.a", "ticker.b"];

    [Theory]
    [InlineData("drop-oldest", "bridge.deliveries.dropped", "bridge.deliveries.conflated")]
    [InlineData("conflate", "bridge.deliveries.conflated", "bridge.deliveries.dropped")]
    public async Task A_client_that_stops_reading_stays_connected_and_every_gap_is_reported_as_skipped(string policy, string counted, string notCounted)
    {
        await using var server = await BridgeServer.StartAsync(new Dictionary<string, string>
        {
            ["SendQueueLength"] = "4",
            ["Topics:0:Pattern"] = "ticker.*",
            ["Topics:0:SlowConsumer"] = policy,
        });
        var meters = server.Services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>();
        using var skips = new MetricCollector<long>(meters, BridgeMetrics.MeterName, counted);
        using var otherSkips = new MetricCollector<long>(meters, BridgeMetrics.MeterName, notCounted);
        using var slowConsumers = new MetricCollector<long>(meters, BridgeMetrics.MeterName, "bridge.connections.slow_consumer");
        await using var backend = await PublisherSession.OpenAsync(server.Client);

        // A small kernel receive buffer, so the bridge's 4-entry queue, not the kernel, absorbs the burst.
        using var client = await JsonClient.ConnectAsync(server, receiveBufferBytes: 8 * 1024);
        var subscribedAt = new Dictionary<string, ulong>();
        foreach (var topic in Topics)
        {
            // Positions that do not start at 0, so "skipped counts from the subscribe position" is visible.
            await backend.PublishTextAsync(topic, "before");
            subscribedAt[topic] = (ulong)(await client.SubscribeAsync(topic))["sequence"]!;
        }

        // The client now reads nothing while 300 × 32 KiB (far more than the kernel buffers hold)
        // are published, alternating between the two topics. Every update still counts one recipient:
        // it is queued, possibly in place of an older one.
        var pad = new string('p', 32 * 1024);
        var last = new Dictionary<string, ulong>();
        for (var i = 0; i < Updates; i++)
        {
            var topic = Topics[i % 2];
            var ack = await backend.PublishTextAsync(topic, Payload(topic, (ulong)(i / 2) + 2) + pad);
            Assert.Equal(((ulong)(i / 2) + 2, 1u), (ack.Sequence, ack.Recipients));
            last[topic] = ack.Sequence;
        }

        var counter = skips.GetMeasurementSnapshot().EvaluateAsCounter();
        Assert.True(counter > 0, $"the burst never filled the send queue: nothing was counted in {counted}");

        // A ping while the queue is still full is answered, not treated as an overflow.
        await client.SendRawAsync("""{"type":"ping","id":"stalled"}""");
        var ponged = false;

        // Reading everything: per topic, strictly increasing, gaps exactly as reported, ending at the last one.
        var previous = new Dictionary<string, ulong>(subscribedAt);
        var skippedTotal = 0L;
        var delivered = 0;
        while (Topics.Any(t => previous[t] < last[t]) || !ponged)
        {
            var envelope = await client.ReceiveAsync();
            if ((string?)envelope["type"] == "pong")
            {
                Assert.Equal("stalled", (string?)envelope["id"]);
                ponged = true;
                continue;
            }

            var update = new JsonUpdate((ulong?)envelope["sequence"] ?? 0, (string)envelope["data"]!, envelope);
            var topic = (string)update.Envelope["topic"]!;
            var skipped = (ulong?)update.Envelope["skipped"] ?? 0;
            Assert.True(
                update.Sequence == previous[topic] + 1 + skipped,
                $"after {topic} {previous[topic]} got {update.Envelope.ToJsonString()[..Math.Min(200, update.Envelope.ToJsonString().Length)]}");
            Assert.StartsWith(Payload(topic, update.Sequence), update.Data, StringComparison.Ordinal);
            previous[topic] = update.Sequence;
            skippedTotal += (long)skipped;
            delivered++;
        }

        // Every published update was either delivered or reported skipped, and each skip was counted once.
        Assert.Equal(Updates, delivered + skippedTotal);
        Assert.Equal(counter, skippedTotal);
        Assert.Equal(0, otherSkips.GetMeasurementSnapshot().EvaluateAsCounter());
        Assert.Equal(0, slowConsumers.GetMeasurementSnapshot().EvaluateAsCounter());

        // Still connected, with nothing left over.
        await client.PingAsync();
        await backend.PublishTextAsync(Topics[0], Payload(Topics[0], last[Topics[0]] + 1));
        await client.ExpectMessageAsync(last[Topics[0]] + 1, Payload(Topics[0], last[Topics[0]] + 1));
    }

    [Fact]
    public async Task A_topic_with_the_default_policy_still_closes_a_json_client_with_1008_when_its_queue_overflows()
    {
        await using var server = await BridgeServer.StartAsync(new Dictionary<string, string>
        {
            ["SendQueueLength"] = "4",
            ["Topics:0:Pattern"] = "ticker.*",
            ["Topics:0:SlowConsumer"] = "conflate",
            // The close frame waits behind what the kernel already holds until the client reads again.
            ["CloseTimeout"] = "00:00:30",
        });
        await using var backend = await PublisherSession.OpenAsync(server.Client);
        using var client = await JsonClient.ConnectAsync(server, receiveBufferBytes: 8 * 1024);
        await client.SubscribeAsync("ticker.a");
        await client.SubscribeAsync("news");

        var pad = new string('p', 32 * 1024);
        for (var i = 0; i < Updates; i++)
        {
            await backend.PublishTextAsync(i % 2 == 0 ? "ticker.a" : "news", pad);
        }

        var close = await client.Socket.ReceiveCloseAsync();
        Assert.Equal((System.Net.WebSockets.WebSocketCloseStatus.PolicyViolation, "slow consumer"), (close.CloseStatus, close.CloseReason));
    }

    private static string Payload(string topic, ulong sequence) => $"{topic}#{sequence.ToString(CultureInfo.InvariantCulture)}#";
}
