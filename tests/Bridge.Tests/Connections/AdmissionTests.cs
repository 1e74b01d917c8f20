using Bridge.Tests.Infrastructure;

namespace Bridge.Tests.Connections;

public sealed class AdmissionTests
{
    [Theory]
    [InlineData("/ws?topic=bad%20topic", "bad topic parameter 1: topic 'bad topic' has an invalid character at position 4; allowed are A-Z a-z 0-9 _ . : -")]
    [InlineData("/ws?topic=", "bad topic parameter 1: topic is empty")]
    [InlineData("/ws?topic=a&topic=", "bad topic parameter 2: topic is empty")]
    [InlineData("/ws?topic=a&topic=a", "bad topic parameter 2: topic 'a' is repeated")]
    [InlineData("/ws?topic=a*", "bad topic parameter 1: topic 'a*' has an invalid character at position 2; allowed are A-Z a-z 0-9 _ . : -")]
    public async Task Bad_topics_are_refused_with_400_and_a_body_that_says_why(string pathAndQuery, string expected)
    {
        await using var server = await BridgeServer.StartAsync();

        var (status, body) = await RawHttp.WebSocketHandshakeAsync(server.HttpUri, pathAndQuery);

        Assert.Equal(400, status);
        Assert.Equal(expected, body.TrimEnd('\n'));
    }

    [Fact]
    public async Task A_topic_over_128_characters_is_refused_and_128_is_accepted()
    {
        await using var server = await BridgeServer.StartAsync();

        var (status, body) = await RawHttp.WebSocketHandshakeAsync(server.HttpUri, "/ws?topic=" + new string('a', 129));
        using var accepted = await server.ConnectAsync(new string('a', 128));

        Assert.Equal(400, status);
        Assert.Contains("topic is 129 characters long; the limit is 128", body, StringComparison.Ordinal);
        Assert.Equal(System.Net.WebSockets.WebSocketState.Open, accepted.State);
    }

    [Fact]
    public async Task Too_many_topics_are_refused()
    {
        await using var server = await BridgeServer.StartAsync(new Dictionary<string, string> { ["MaxTopicsPerConnection"] = "2" });

        var (status, body) = await RawHttp.WebSocketHandshakeAsync(server.HttpUri, "/ws?topic=a&topic=b&topic=c");

        Assert.Equal(400, status);
        Assert.Contains("too many topics: 3 requested, the limit is 2", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_plain_GET_without_upgrade_gets_426()
    {
        await using var server = await BridgeServer.StartAsync();
        using var http = new HttpClient();

        using var response = await http.GetAsync(new Uri(server.HttpUri, "/ws"));

        Assert.Equal(426, (int)response.StatusCode);
        Assert.Contains("expected a WebSocket upgrade", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Names_with_every_allowed_character_are_accepted_and_case_sensitive()
    {
        await using var server = await BridgeServer.StartAsync();
        using var upper = await server.ConnectAsync("Az09_.:-x");
        using var lower = await server.ConnectAsync("az09_.:-x");

        var ack = await server.Client.PublishOneAsync(new V1.Update { Topic = "Az09_.:-x", Text = "hit" });

        Assert.Equal(1u, ack.Recipients);
        Assert.Equal("hit", await upper.ReceiveTextAsync());
        await lower.AssertNothingReceivedAsync();
    }
}
