using System.Net.WebSockets;
using Bridge.Diagnostics;
using Bridge.Tests.Infrastructure;
using Bridge.V1;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;

namespace Bridge.Tests.Connections;

public sealed class ClientMessageTests
{
    [Fact]
    public async Task Text_and_binary_frames_reach_a_listening_stream_with_the_connection_id_and_topic()
    {
        await using var server = await BridgeServer.StartAsync();
        await using var backend = await PublisherSession.OpenAsync(server.Client);
        using var client = await server.ConnectAsync("chat");
        var connected = await backend.WaitForEventAsync(ClientEvent.Types.Kind.Connected);

        await client.SendTextAsync("héllo");
        await client.SendBinaryAsync([0, 1, 2, 255]);

        var text = await backend.NextMessageAsync();
        var binary = await backend.NextMessageAsync();
        Assert.Equal((connected.ConnectionId, "chat", "héllo"), (text.ConnectionId, text.Topic, text.Text));
        Assert.Equal(ClientMessage.PayloadOneofCase.Binary, binary.PayloadCase);
        Assert.Equal(new byte[] { 0, 1, 2, 255 }, binary.Binary.ToByteArray());
    }

    [Fact]
    public async Task Empty_frames_arrive_as_empty_messages()
    {
        await using var server = await BridgeServer.StartAsync();
        await using var backend = await PublisherSession.OpenAsync(server.Client);
        using var client = await server.ConnectAsync();

        await client.SendTextAsync(string.Empty);
        await client.SendBinaryAsync([]);
        await client.SendTextAsync("after");

        var text = await backend.NextMessageAsync();
        var binary = await backend.NextMessageAsync();
        Assert.Equal((ClientMessage.PayloadOneofCase.Text, ""), (text.PayloadCase, text.Text));
        Assert.Equal((ClientMessage.PayloadOneofCase.Binary, 0), (binary.PayloadCase, binary.Binary.Length));
        Assert.Equal("after", (await backend.NextMessageAsync()).Text);
    }

    [Fact]
    public async Task The_message_topic_is_the_only_topic_or_empty_for_none_or_several()
    {
        await using var server = await BridgeServer.StartAsync();
        await using var backend = await PublisherSession.OpenAsync(server.Client);
        using var none = await server.ConnectAsync();
        using var one = await server.ConnectAsync("a");
        using var two = await server.ConnectAsync("a", "b");

        await none.SendTextAsync("none");
        Assert.Equal(string.Empty, (await backend.NextMessageAsync()).Topic);
        await one.SendTextAsync("one");
        Assert.Equal("a", (await backend.NextMessageAsync()).Topic);
        await two.SendTextAsync("two");
        Assert.Equal(string.Empty, (await backend.NextMessageAsync()).Topic);
    }

    [Fact]
    public async Task Messages_reach_only_the_streams_that_listen_to_their_topic()
    {
        await using var server = await BridgeServer.StartAsync();
        await using var listensA = await PublisherSession.OpenAsync(server.Client);
        await using var listensB = await PublisherSession.OpenAsync(server.Client);
        await using var listensAll = await PublisherSession.OpenAsync(server.Client);
        Assert.Equal(["a"], (await listensA.ListenAsync("a")).Topics);
        Assert.Equal(["b"], (await listensB.ListenAsync("b")).Topics);
        using var client = await server.ConnectAsync("a");

        await client.SendTextAsync("to a");

        Assert.Equal("to a", (await listensA.NextMessageAsync()).Text);
        Assert.Equal("to a", (await listensAll.NextMessageAsync()).Text);
        await listensB.AssertNoMessageAsync();
    }

    [Fact]
    public async Task A_new_Listen_replaces_the_previous_filter_and_an_empty_one_means_all()
    {
        await using var server = await BridgeServer.StartAsync();
        await using var backend = await PublisherSession.OpenAsync(server.Client);
        using var a = await server.ConnectAsync("a");
        using var b = await server.ConnectAsync("b");

        await backend.ListenAsync("a");
        await b.SendTextAsync("b1");
        await a.SendTextAsync("a1");
        Assert.Equal("a1", (await backend.NextMessageAsync()).Text);

        await backend.ListenAsync("b");
        await a.SendTextAsync("a2");
        await b.SendTextAsync("b2");
        Assert.Equal("b2", (await backend.NextMessageAsync()).Text);

        Assert.Empty((await backend.ListenAsync()).Topics);
        await a.SendTextAsync("a3");
        Assert.Equal("a3", (await backend.NextMessageAsync()).Text);
    }

    [Fact]
    public async Task A_message_no_stream_listens_to_is_counted_as_unrouted()
    {
        await using var server = await BridgeServer.StartAsync();
        using var unrouted = new MetricCollector<long>(server.Services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>(), BridgeMetrics.MeterName, "bridge.client_messages.unrouted");
        await using var backend = await PublisherSession.OpenAsync(server.Client);
        await backend.ListenAsync("other");
        using var client = await server.ConnectAsync("a");

        await client.SendTextAsync("lost?");
        await unrouted.WaitForMeasurementsAsync(1).WaitAsync(TestTimeouts.Signal);

        Assert.Equal(1, unrouted.GetMeasurementSnapshot().EvaluateAsCounter());
        await backend.AssertNoMessageAsync();
    }

    [Fact]
    public async Task An_oversized_message_closes_only_that_connection_with_1009()
    {
        await using var server = await BridgeServer.StartAsync(new Dictionary<string, string> { ["MaxClientMessageBytes"] = "1000" });
        await using var backend = await PublisherSession.OpenAsync(server.Client);
        using var offender = await server.ConnectAsync();
        using var bystander = await server.ConnectAsync();

        await offender.SendTextAsync(new string('x', 1000));
        Assert.Equal(1000, (await backend.NextMessageAsync()).Text.Length);
        await offender.SendBinaryAsync(new byte[1001]);

        var close = await offender.ReceiveCloseAsync();
        Assert.Equal(WebSocketCloseStatus.MessageTooBig, close.CloseStatus);
        Assert.Equal("message too big", close.CloseReason);
        await bystander.SendTextAsync("still here");
        Assert.Equal("still here", (await backend.NextMessageAsync()).Text);
        Assert.Equal(1u, (await backend.PublishTextAsync(string.Empty, "after")).Recipients);
        Assert.Equal("after", await bystander.ReceiveTextAsync());
    }

    [Fact]
    public async Task A_message_split_across_many_frames_is_reassembled()
    {
        await using var server = await BridgeServer.StartAsync();
        await using var backend = await PublisherSession.OpenAsync(server.Client);
        using var client = await server.ConnectAsync();

        var part = System.Text.Encoding.UTF8.GetBytes(new string('z', 3000));
        for (var i = 0; i < 9; i++)
        {
            await client.SendAsync(part, WebSocketMessageType.Text, endOfMessage: false, CancellationToken.None);
        }

        await client.SendAsync(part, WebSocketMessageType.Text, endOfMessage: true, CancellationToken.None);

        Assert.Equal(30_000, (await backend.NextMessageAsync()).Text.Length);
    }

    [Fact]
    public async Task Invalid_UTF8_in_a_text_frame_closes_that_connection_with_1007()
    {
        await using var server = await BridgeServer.StartAsync();
        await using var backend = await PublisherSession.OpenAsync(server.Client);
        using var offender = await server.ConnectAsync();
        using var bystander = await server.ConnectAsync();

        await offender.SendAsync(new byte[] { 0x61, 0xFF, 0xFE }, WebSocketMessageType.Text, endOfMessage: true, CancellationToken.None);

        var close = await offender.ReceiveCloseAsync();
        Assert.Equal(WebSocketCloseStatus.InvalidPayloadData, close.CloseStatus);
        await backend.AssertNoMessageAsync();
        await bystander.SendTextAsync("fine");
        Assert.Equal("fine", (await backend.NextMessageAsync()).Text);
    }
}
