using Bridge.Tests.Infrastructure;
using Kind = Bridge.V1.ClientEvent.Types.Kind;

namespace Bridge.Tests.Connections;

public sealed class HeartbeatTests
{
    [Fact]
    public async Task A_peer_that_stops_answering_pings_is_dropped_while_one_that_answers_stays()
    {
        await using var server = await BridgeServer.StartAsync(new Dictionary<string, string>
        {
            ["PingInterval"] = "00:00:00.200",
            ["PingTimeout"] = "00:00:02",
        });
        await using var backend = await PublisherSession.OpenAsync(server.Client);

        // A ClientWebSocket answers a Ping only while a receive is pending: the silent one never receives.
        using var silent = await server.ConnectAsync();
        var silentId = (await backend.WaitForEventAsync(Kind.Connected)).ConnectionId;
        using var answering = await server.ConnectAsync();
        var pending = answering.ReceiveMessageAsync();

        var dropped = await backend.WaitForEventAsync(Kind.Disconnected);
        Assert.Equal(silentId, dropped.ConnectionId);

        var ack = await backend.PublishTextAsync(string.Empty, "still alive");
        Assert.Equal(1u, ack.Recipients);
        Assert.Equal("still alive", (await pending).Text);
    }

    [Fact]
    public async Task A_sub_millisecond_ping_interval_keeps_the_bridge_running_and_pinging()
    {
        // The keep-alive sweep's timer has a 1 ms minimum; a smaller setting must not stop the host.
        await using var server = await BridgeServer.StartAsync(new Dictionary<string, string>
        {
            ["PingInterval"] = "00:00:00.0005",
            ["PingTimeout"] = "00:00:05",
        });
        await using var backend = await PublisherSession.OpenAsync(server.Client);
        using var client = await server.ConnectAsync();
        var pending = client.ReceiveMessageAsync();
        await backend.WaitForEventAsync(Kind.Connected);

        var ack = await backend.PublishTextAsync(string.Empty, "still running");

        Assert.Equal(1u, ack.Recipients);
        Assert.Equal("still running", (await pending).Text);
    }
}
