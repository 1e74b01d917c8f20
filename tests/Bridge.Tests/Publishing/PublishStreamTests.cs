using Bridge.Diagnostics;
using Bridge.Tests.Infrastructure;
using Bridge.V1;
using Google.Protobuf;
using Grpc.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;

namespace Bridge.Tests.Publishing;

public sealed class PublishStreamTests
{
    [Fact]
    public async Task Bad_updates_are_rejected_with_clear_errors_while_the_stream_and_the_updates_around_them_carry_on()
    {
        await using var server = await BridgeServer.StartAsync(new Dictionary<string, string> { ["MaxUpdateBytes"] = "1000" });
        using var client = await server.ConnectAsync("t");
        await using var backend = await PublisherSession.OpenAsync(server.Client);

        var ok1 = await backend.PublishAsync(new Update { Topic = "t", Text = "first", Id = "1" });
        var noPayload = await backend.PublishAsync(new Update { Topic = "t", Id = "2" });
        var badTopic = await backend.PublishAsync(new Update { Topic = "no spaces", Text = "x", Id = "3" });
        var tooLarge = await backend.PublishAsync(new Update { Topic = "t", Binary = ByteString.CopyFrom(new byte[1001]), Id = "4" });
        var tooLargeText = await backend.PublishAsync(new Update { Topic = "t", Text = new string('é', 501), Id = "5" });
        await backend.SendAsync(new PublishRequest());
        var noKind = await backend.NextAckAsync();
        var ok2 = await backend.PublishAsync(new Update { Topic = "t", Text = new string('y', 1000), Id = "6" });

        Assert.Equal((1ul, ""), (ok1.Sequence, ok1.Error));
        Assert.Equal(("2", 0ul, "update has no payload: set text or binary"), (noPayload.Id, noPayload.Sequence, noPayload.Error));
        Assert.Equal("invalid topic: topic 'no spaces' has an invalid character at position 3; allowed are A-Z a-z 0-9 _ . : -", badTopic.Error);
        Assert.Equal("payload too large: 1001 bytes exceeds the limit of 1000 bytes (Bridge:MaxUpdateBytes)", tooLarge.Error);
        Assert.Equal("payload too large: 1002 bytes exceeds the limit of 1000 bytes (Bridge:MaxUpdateBytes)", tooLargeText.Error);
        Assert.Equal("request has no kind: set update or listen", noKind.Error);
        Assert.Equal((2ul, ""), (ok2.Sequence, ok2.Error));
        Assert.Equal("first", await client.ReceiveTextAsync());
        Assert.Equal(new string('y', 1000), await client.ReceiveTextAsync());
    }

    [Fact]
    public async Task An_update_over_the_default_limit_gets_an_ack_error_instead_of_killing_the_stream()
    {
        await using var server = await BridgeServer.StartAsync();
        await using var backend = await PublisherSession.OpenAsync(server.Client);

        var huge = await backend.PublishAsync(new Update { Topic = "t", Binary = ByteString.CopyFrom(new byte[5 * 1024 * 1024]) });
        var after = await backend.PublishTextAsync("t", "still open");

        Assert.Equal("payload too large: 5242880 bytes exceeds the limit of 1048576 bytes (Bridge:MaxUpdateBytes)", huge.Error);
        Assert.Equal((1ul, ""), (after.Sequence, after.Error));
    }

    [Fact]
    public async Task A_bad_Listen_is_answered_with_an_ack_error_and_the_previous_filter_stays()
    {
        await using var server = await BridgeServer.StartAsync();
        await using var backend = await PublisherSession.OpenAsync(server.Client);
        await backend.ListenAsync("a");

        await backend.SendAsync(new PublishRequest { Listen = new Listen { Topics = { "ok", "bad topic" } } });
        var error = await backend.NextAckAsync();
        using var client = await server.ConnectAsync("a");
        await client.SendTextAsync("still a");

        Assert.Equal("invalid listen: topic 'bad topic' has an invalid character at position 4; allowed are A-Z a-z 0-9 _ . : -", error.Error);
        Assert.Equal("still a", (await backend.NextMessageAsync()).Text);
        Assert.False(backend.Listenings.Reader.TryRead(out _));
    }

    [Fact]
    public async Task On_half_close_every_received_update_is_acked_and_the_call_ends_OK()
    {
        await using var server = await BridgeServer.StartAsync();
        await using var backend = await PublisherSession.OpenAsync(server.Client);

        for (var i = 0; i < 500; i++)
        {
            await backend.SendAsync(new PublishRequest { Update = new Update { Topic = "t", Text = "m", Id = i.ToString() } });
        }

        await backend.CompleteAsync();
        await backend.Completion.WaitAsync(TestTimeouts.Signal);

        var acks = new List<Ack>();
        while (backend.Acks.Reader.TryRead(out var ack))
        {
            acks.Add(ack);
        }

        Assert.Equal(Enumerable.Range(0, 500).Select(i => i.ToString()), acks.Select(a => a.Id));
        Assert.Equal(Enumerable.Range(1, 500).Select(i => (ulong)i), acks.Select(a => a.Sequence));
        Assert.Equal(StatusCode.OK, backend.Call.GetStatus().StatusCode);
    }

    [Fact]
    public async Task After_half_close_the_stream_no_longer_receives_browser_messages()
    {
        await using var server = await BridgeServer.StartAsync();
        var closing = await PublisherSession.OpenAsync(server.Client);
        await using var staying = await PublisherSession.OpenAsync(server.Client);
        await closing.CompleteAsync();
        await closing.Completion.WaitAsync(TestTimeouts.Signal);
        using var client = await server.ConnectAsync();

        await client.SendTextAsync("hello");

        Assert.Equal("hello", (await staying.NextMessageAsync()).Text);
        Assert.False(closing.Messages.Reader.TryRead(out _));
        await closing.DisposeAsync();
    }

    [Fact]
    public async Task A_backend_that_does_not_read_never_blocks_browsers_and_its_overflow_is_dropped_and_counted()
    {
        await using var server = await BridgeServer.StartAsync(new Dictionary<string, string> { ["PublisherQueueLength"] = "150" });
        using var dropped = new MetricCollector<long>(server.Services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>(), BridgeMetrics.MeterName, "bridge.publisher.dropped");
        await using var stalled = PublisherSession.OpenUnread(server.Client);
        await using var healthy = await PublisherSession.OpenAsync(server.Client);
        await stalled.SendAsync(new PublishRequest { Listen = new Listen() }); // make sure the stalled stream is open
        using var client = await server.ConnectAsync();
        await healthy.WaitForEventAsync(ClientEvent.Types.Kind.Connected);

        // Large messages fill the stalled stream's HTTP/2 window quickly; the browser and the healthy
        // backend carry on in lockstep regardless.
        var payload = new string('m', 30_000);
        for (var i = 0; i < 300; i++)
        {
            await client.SendTextAsync(payload + i).WaitAsync(TestTimeouts.Signal);
            Assert.Equal(payload + i, (await healthy.NextMessageAsync()).Text);
        }

        await dropped.WaitForMeasurementsAsync(1).WaitAsync(TestTimeouts.Signal);
        Assert.True(dropped.GetMeasurementSnapshot().EvaluateAsCounter() > 0);
    }
}
