using System.Net;
using Bridge.Tests.Infrastructure;

namespace Bridge.Tests.Sse;

public sealed class SseStreamTests
{
    [Fact]
    public async Task Bad_topics_are_refused_like_on_the_websocket_endpoint()
    {
        await using var server = await BridgeServer.StartAsync();
        using var http = new HttpClient();
        var response = await http.GetAsync(server.SseUri("topic=bad%20topic"));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("bad topic parameter 1", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Idle_streams_get_heartbeat_comments()
    {
        await using var server = await BridgeServer.StartAsync(new Dictionary<string, string> { ["Sse:HeartbeatInterval"] = "00:00:00.050" });
        await using var backend = await PublisherSession.OpenAsync(server.Client);
        using var client = await SseClient.ConnectAsync(server.SseUri("topic=quiet"));
        await client.ReceiveAsync(); // welcome

        // Heartbeats are comments: the stream stays open and no event is dispatched for them.
        var next = client.ReceiveAsync();
        await client.WaitForCommentsAsync(2);
        Assert.False(next.IsCompleted, "a heartbeat was dispatched as an event");
        await backend.PublishTextAsync("quiet", "after heartbeats");
        Assert.Equal("after heartbeats", (await next).Data);
    }

    [Fact]
    public async Task Listed_origins_get_cors_headers_and_others_do_not()
    {
        await using var server = await BridgeServer.StartAsync(new Dictionary<string, string> { ["AllowedOrigins:0"] = "http://app.example" });
        using (var allowed = await SseClient.ConnectAsync(server.SseUri("topic=a"), origin: "http://app.example"))
        {
            Assert.Equal("http://app.example", allowed.Response.Headers.GetValues("Access-Control-Allow-Origin").Single());
            Assert.Equal("true", allowed.Response.Headers.GetValues("Access-Control-Allow-Credentials").Single());
        }

        using var other = await SseClient.ConnectAsync(server.SseUri("topic=a"), origin: "http://evil.example");
        Assert.False(other.Response.Headers.Contains("Access-Control-Allow-Origin"));
    }

    [Fact]
    public async Task A_stored_position_in_the_lastEventId_parameter_resumes_and_the_header_wins_over_it()
    {
        await using var server = await BridgeServer.StartAsync();
        await using var backend = await PublisherSession.OpenAsync(server.Client);
        var epoch = (await backend.PublishTextAsync("t", "1")).Epoch;
        await backend.PublishTextAsync("t", "2");
        await backend.PublishTextAsync("t", "3");

        using (var fromQuery = await SseClient.ConnectAsync(server.SseUri($"topic=t&lastEventId={Uri.EscapeDataString($"t=1.{epoch}")}")))
        {
            await fromQuery.ReceiveAsync(); // welcome
            Assert.Equal("2", (await fromQuery.ReceiveAsync()).Data);
            Assert.Equal("3", (await fromQuery.ReceiveAsync()).Data);
        }

        using var headerWins = await SseClient.ConnectAsync(server.SseUri($"topic=t&lastEventId={Uri.EscapeDataString($"t=1.{epoch}")}"), lastEventId: $"t=2.{epoch}");
        await headerWins.ReceiveAsync(); // welcome
        Assert.Equal("3", (await headerWins.ReceiveAsync()).Data);
    }

    [Fact]
    public async Task A_slow_sse_reader_has_its_stream_ended_and_resumes_from_its_last_id_without_loss()
    {
        await using var server = await BridgeServer.StartAsync(new Dictionary<string, string> { ["SendQueueLength"] = "2" });
        await using var backend = await PublisherSession.OpenAsync(server.Client);
        using var first = await SseClient.ConnectAsync(server.SseUri("topic=burst"));
        await first.ReceiveAsync(); // welcome

        // Far more than the kernel buffers and a 2-entry queue hold while the client does not read.
        var payload = new string('x', 16 * 1024);
        const int Total = 400;
        for (var i = 1; i <= Total; i++)
        {
            await backend.PublishTextAsync("burst", $"{i:D4}{payload}");
        }

        var received = new List<int>();
        try
        {
            while (true)
            {
                received.Add(int.Parse((await first.ReceiveAsync()).Data[..4], System.Globalization.CultureInfo.InvariantCulture));
            }
        }
        catch (EndOfStreamException)
        {
            // The bridge ended the stream: a slow consumer.
        }

        Assert.True(received.Count < Total, "the stream was expected to end before the burst was delivered");
        using var second = await SseClient.ConnectAsync(server.SseUri("topic=burst"), first.LastEventId);
        await second.ReceiveAsync(); // welcome
        while (received.Count == 0 || received[^1] < Total)
        {
            received.Add(int.Parse((await second.ReceiveAsync()).Data[..4], System.Globalization.CultureInfo.InvariantCulture));
        }

        Assert.Equal(Enumerable.Range(1, Total), received);
    }
}
