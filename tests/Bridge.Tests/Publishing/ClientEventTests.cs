using Bridge.Tests.Infrastructure;
using Bridge.V1;
using Kind = Bridge.V1.ClientEvent.Types.Kind;

namespace Bridge.Tests.Publishing;

public sealed class ClientEventTests
{
    [Fact]
    public async Task A_stream_hears_each_connection_connect_and_disconnect_with_its_topics()
    {
        await using var server = await BridgeServer.StartAsync();
        await using var backend = await PublisherSession.OpenAsync(server.Client);

        var client = await server.ConnectAsync("a", "b");
        var connected = await backend.NextEventAsync();
        await client.CloseAsync(System.Net.WebSockets.WebSocketCloseStatus.NormalClosure, "bye", CancellationToken.None);
        var disconnected = await backend.NextEventAsync();
        client.Dispose();

        Assert.Equal(Kind.Connected, connected.Kind);
        Assert.Equal(["a", "b"], connected.Topics);
        Assert.Equal(Kind.Disconnected, disconnected.Kind);
        Assert.Equal(connected.ConnectionId, disconnected.ConnectionId);
        Assert.Equal(["a", "b"], disconnected.Topics);
    }

    [Fact]
    public async Task A_new_stream_first_gets_Listening_then_CONNECTED_for_every_open_connection()
    {
        await using var server = await BridgeServer.StartAsync();
        using var one = await server.ConnectAsync("x");
        using var two = await server.ConnectAsync();
        await using var observer = await PublisherSession.OpenAsync(server.Client);
        await observer.WaitForEventAsync(Kind.Connected);
        await observer.WaitForEventAsync(Kind.Connected);

        await using var late = await PublisherSession.OpenAsync(server.Client);
        var first = await late.NextEventAsync();
        var second = await late.NextEventAsync();

        // The opening Listening came before any event (OpenAsync waited for it as the first response).
        var all = new List<PublishResponse>();
        while (late.All.TryRead(out var response))
        {
            all.Add(response);
        }

        Assert.Equal(PublishResponse.KindOneofCase.Listening, all[0].KindCase);
        Assert.All([first, second], e => Assert.Equal(Kind.Connected, e.Kind));
        Assert.Equal(2, new[] { first.ConnectionId, second.ConnectionId }.Distinct().Count());
        Assert.Contains(new[] { first, second }, e => e.Topics.SequenceEqual(["x"]));
    }

    [Fact]
    public async Task Events_follow_the_listen_filter_and_connections_without_topics_count_as_the_empty_topic()
    {
        await using var server = await BridgeServer.StartAsync();
        await using var listensA = await PublisherSession.OpenAsync(server.Client);
        await using var listensEmpty = await PublisherSession.OpenAsync(server.Client);
        await listensA.ListenAsync("a");
        await listensEmpty.ListenAsync(string.Empty);

        using var plain = await server.ConnectAsync();
        using var onA = await server.ConnectAsync("a", "z");

        var seenByA = await listensA.NextEventAsync();
        var seenByEmpty = await listensEmpty.NextEventAsync();
        Assert.Equal(["a", "z"], seenByA.Topics);
        Assert.Empty(seenByEmpty.Topics);
        await Task.Delay(TestTimeouts.Absence);
        Assert.False(listensA.Events.Reader.TryRead(out _));
        Assert.False(listensEmpty.Events.Reader.TryRead(out _));
    }

    [Fact]
    public async Task A_reply_by_connection_id_reaches_only_that_connection_and_takes_no_position()
    {
        await using var server = await BridgeServer.StartAsync();
        await using var backend = await PublisherSession.OpenAsync(server.Client);
        using var target = await server.ConnectAsync("room");
        var id = (await backend.NextEventAsync()).ConnectionId;
        using var other = await server.ConnectAsync("room");

        var reply = await backend.PublishAsync(new Update { Topic = "room", ConnectionId = id, Text = "just you" });
        var next = await backend.PublishTextAsync("room", "everyone");
        var unknown = await backend.PublishAsync(new Update { ConnectionId = "nobody", Text = "x" });

        Assert.Equal((0ul, 1u, ""), (reply.Sequence, reply.Recipients, reply.Error));
        Assert.Equal(1ul, next.Sequence);
        Assert.Equal("connection 'nobody' is not connected", unknown.Error);
        Assert.Equal("just you", await target.ReceiveTextAsync());
        Assert.Equal("everyone", await target.ReceiveTextAsync());
        Assert.Equal("everyone", await other.ReceiveTextAsync());
    }
}
