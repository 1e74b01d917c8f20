using Bridge.Tests.Infrastructure;

namespace Bridge.Tests.Sync;

/// <summary>A position is only meaningful with its epoch: positions the bridge cannot vouch for are never "recovered".</summary>
public sealed class EpochChangeTests
{
    [Fact]
    public async Task After_a_bridge_restart_a_resume_with_the_old_epoch_is_not_recovered_even_at_the_same_sequence()
    {
        string oldEpoch;
        await using (var before = await BridgeServer.StartAsync())
        {
            await using var backend = await PublisherSession.OpenAsync(before.Client);
            await backend.PublishTextAsync("t", "old1");
            oldEpoch = (await backend.PublishTextAsync("t", "old2")).Epoch;
        }

        await using var after = await BridgeServer.StartAsync();
        await using var newBackend = await PublisherSession.OpenAsync(after.Client);
        await newBackend.PublishTextAsync("t", "new1");
        var newEpoch = (await newBackend.PublishTextAsync("t", "new2")).Epoch;
        Assert.NotEqual(oldEpoch, newEpoch);

        // Same sequence number, other epoch: the "2" the client saw is not this bridge's "2".
        using var client = await JsonClient.ConnectAsync(after);
        var answer = await client.SubscribeAsync("t", 2, oldEpoch);
        Assert.Equal((false, 2ul, newEpoch), ((bool?)answer["recovered"], (ulong)answer["sequence"]!, (string)answer["epoch"]!));
        await client.PingAsync();

        await newBackend.PublishTextAsync("t", "new3");
        await client.ExpectMessageAsync(3, "new3");
    }

    [Fact]
    public async Task A_resume_from_the_future_is_not_recovered_and_replays_nothing()
    {
        await using var server = await BridgeServer.StartAsync();
        await using var backend = await PublisherSession.OpenAsync(server.Client);
        await backend.PublishTextAsync("t", "p1");
        var epoch = (await backend.PublishTextAsync("t", "p2")).Epoch;

        using var client = await JsonClient.ConnectAsync(server);
        var answer = await client.SubscribeAsync("t", 3, epoch);
        Assert.Equal((false, 2ul, epoch), ((bool?)answer["recovered"], (ulong)answer["sequence"]!, (string)answer["epoch"]!));
        await client.PingAsync();

        await backend.PublishTextAsync("t", "p3");
        await client.ExpectMessageAsync(3, "p3");
    }

    [Fact]
    public async Task A_resume_from_a_topic_never_published_to_is_recovered_only_in_its_own_epoch()
    {
        await using var server = await BridgeServer.StartAsync();
        using var first = await JsonClient.ConnectAsync(server, "quiet");
        var epoch = (string)(await first.ReceiveAsync("subscribed"))["epoch"]!;

        using var client = await JsonClient.ConnectAsync(server);
        var same = await client.SubscribeAsync("quiet", 0, epoch);
        Assert.Equal((true, 0ul), ((bool?)same["recovered"], (ulong)same["sequence"]!));
        var other = await client.SubscribeAsync("other", 0, epoch);
        Assert.Equal(false, (bool?)other["recovered"]);
        Assert.NotEqual(epoch, (string)other["epoch"]!);
        await client.PingAsync();
    }

    [Fact]
    public async Task A_resume_from_the_current_position_is_recovered_replays_nothing_and_continues_live()
    {
        await using var server = await BridgeServer.StartAsync();
        await using var backend = await PublisherSession.OpenAsync(server.Client);
        await backend.PublishTextAsync("t", "p1");
        var epoch = (await backend.PublishTextAsync("t", "p2")).Epoch;

        using var client = await JsonClient.ConnectAsync(server);
        var answer = await client.SubscribeAsync("t", 2, epoch);
        Assert.Equal((true, 2ul, epoch), ((bool?)answer["recovered"], (ulong)answer["sequence"]!, (string)answer["epoch"]!));
        await client.PingAsync();

        await backend.PublishTextAsync("t", "p3");
        await client.ExpectMessageAsync(3, "p3");
    }

    [Fact]
    public async Task A_resume_with_an_epoch_of_any_other_form_is_not_recovered()
    {
        await using var server = await BridgeServer.StartAsync();
        await using var backend = await PublisherSession.OpenAsync(server.Client);
        var epoch = (await backend.PublishTextAsync("t", "p1")).Epoch;

        using var client = await JsonClient.ConnectAsync(server);
        foreach (var (topic, bad) in new[] { ("t", ""), ("t", epoch.ToUpperInvariant()), ("t", epoch + "x") })
        {
            var answer = await client.SubscribeAsync(topic, 1, bad);
            Assert.Equal((false, epoch), ((bool?)answer["recovered"], (string)answer["epoch"]!));
            await client.SendRawAsync("""{"type":"unsubscribe","topic":"t"}""");
            await client.ReceiveAsync("unsubscribed");
        }
    }
}
