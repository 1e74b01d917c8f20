using Bridge.Tests.Infrastructure;

namespace Bridge.Tests.Sync;

public sealed class JsonSubprotocolSmokeTests
{
    [Fact]
    public async Task A_json_client_resumes_exactly_after_its_last_position()
    {
        await using var server = await BridgeServer.StartAsync();
        await using var backend = await PublisherSession.OpenAsync(server.Client);
        using var first = await JsonClient.ConnectAsync(server);
        var subscribed = await first.SubscribeAsync("prices", id: 1);
        Assert.Equal(0ul, (ulong)subscribed["sequence"]!);
        var epoch = (string)subscribed["epoch"]!;

        for (var i = 1; i <= 5; i++)
        {
            var ack = await backend.PublishTextAsync("prices", "p" + i);
            Assert.Equal(epoch, ack.Epoch);
        }

        for (var i = 1; i <= 3; i++)
        {
            await first.ExpectMessageAsync((ulong)i, "p" + i);
        }

        using var second = await JsonClient.ConnectAsync(server);
        var resumed = await second.SubscribeAsync("prices", 3, epoch);
        Assert.Equal(true, (bool?)resumed["recovered"]);
        Assert.Equal(5ul, (ulong)resumed["sequence"]!);
        await second.ExpectMessageAsync(4, "p4");
        await second.ExpectMessageAsync(5, "p5");
        await backend.PublishTextAsync("prices", "p6");
        await second.ExpectMessageAsync(6, "p6");
    }
}
