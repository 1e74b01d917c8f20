using System.Net.WebSockets;
using System.Text.Json.Nodes;
using Bridge.Tests.Infrastructure;

namespace Bridge.Tests.Sync;

/// <summary>
/// docs/protocol.md, JSON subprotocol "Errors": every refused request gets an <c>error</c> envelope
/// with its stable code (echoing the request's id when it had a valid one) and the connection stays
/// open; more than 50 errors within 10 seconds close it with 1008.
/// </summary>
public sealed class JsonBadInputTests
{
    private const int MaxClientMessageBytes = 1024;

    private static readonly Dictionary<string, string> Settings = new()
    {
        ["MaxTopicsPerConnection"] = "2",
        ["MaxClientMessageBytes"] = MaxClientMessageBytes.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };

    /// <summary>One request, the code it draws, and the id the error must echo (as raw JSON; null: none).</summary>
    public static TheoryData<string, string, string?> SingleBadRequests => new()
    {
        { "{", "invalid_json", null },
        { """{"type":"\ud800"}""", "invalid_field", null },
        { """{"type":"ping","id":"\ud800"}""", "invalid_field", null },
        { """{"type":"subscribe","id":1,"topic":"\ud800"}""", "invalid_topic", "1" },
        { """{"type":"publish","id":2,"topic":"t","data":"\udc00"}""", "invalid_field", "2" },
        { "", "invalid_json", null },
        { "[1,2]", "invalid_json", null },
        { "\"subscribe\"", "invalid_json", null },
        { "null", "invalid_json", null },
        { """{"id":"r1"}""", "unknown_type", "\"r1\"" },
        { """{"id":7,"type":null}""", "unknown_type", "7" },
        { """{"id":7,"type":5}""", "unknown_type", "7" },
        { """{"type":"subscribe!","id":"x"}""", "unknown_type", "\"x\"" },
        { """{"type":"SUBSCRIBE","topic":"a"}""", "unknown_type", null },
        { """{"type":"subscribe","id":"s"}""", "missing_field", "\"s\"" },
        { """{"type":"unsubscribe","id":2}""", "missing_field", "2" },
        { """{"type":"publish","id":3,"data":"x"}""", "missing_field", "3" },
        { """{"type":"subscribe","id":1,"topic":5}""", "invalid_field", "1" },
        { """{"type":"subscribe","id":1,"topic":null}""", "invalid_field", "1" },
        { """{"type":"subscribe","id":1,"topic":["a"]}""", "invalid_field", "1" },
        { """{"type":"subscribe","id":"t","topic":"bad topic"}""", "invalid_topic", "\"t\"" },
        { """{"type":"subscribe","id":"t","topic":"a*"}""", "invalid_topic", "\"t\"" },
        { """{"type":"subscribe","id":"t","topic":"a\nb"}""", "invalid_topic", "\"t\"" },
        { """{"type":"subscribe","id":"t","topic":"prix.é"}""", "invalid_topic", "\"t\"" },
        { $$"""{"type":"subscribe","id":"t","topic":"{{new string('a', 129)}}"}""", "invalid_topic", "\"t\"" },
        { """{"type":"unsubscribe","id":"t","topic":"a b"}""", "invalid_topic", "\"t\"" },
        { """{"type":"publish","id":"t","topic":"a/b","data":"x"}""", "invalid_topic", "\"t\"" },
        { """{"type":"subscribe","id":9,"topic":"a","since":5}""", "invalid_field", "9" },
        { """{"type":"subscribe","id":9,"topic":"a","since":"5.abcdefghij"}""", "invalid_field", "9" },
        { """{"type":"subscribe","id":9,"topic":"a","since":{"sequence":"5","epoch":"abcdefghij"}}""", "invalid_field", "9" },
        { """{"type":"subscribe","id":9,"topic":"a","since":{"sequence":-1,"epoch":"abcdefghij"}}""", "invalid_field", "9" },
        { """{"type":"subscribe","id":9,"topic":"a","since":{"sequence":1.5,"epoch":"abcdefghij"}}""", "invalid_field", "9" },
        { """{"type":"subscribe","id":9,"topic":"a","since":{"sequence":1}}""", "invalid_field", "9" },
        { """{"type":"subscribe","id":9,"topic":"a","since":{"epoch":"abcdefghij"}}""", "invalid_field", "9" },
        { """{"type":"subscribe","id":9,"topic":"a","since":{"sequence":1,"epoch":12}}""", "invalid_field", "9" },
        { """{"type":"publish","id":"p","topic":"chat"}""", "missing_field", "\"p\"" },
        { """{"type":"publish","id":"p","topic":"chat","data":42}""", "invalid_field", "\"p\"" },
        { """{"type":"publish","id":"p","topic":"chat","data":"AAE?","encoding":"base64"}""", "invalid_field", "\"p\"" },
        { """{"type":"publish","id":"p","topic":"chat","data":"AAE","encoding":"base64"}""", "invalid_field", "\"p\"" },
        { """{"type":"publish","id":"p","topic":"chat","data":"AAEC","encoding":"hex"}""", "invalid_field", "\"p\"" },
        { $$"""{"type":"ping","id":"{{new string('i', 65)}}"}""", "invalid_field", null },
        { $$"""{"type":"ping","id":{{new string('1', 65)}}}""", "invalid_field", null },
        { """{"type":"ping","id":{"n":1}}""", "invalid_field", null },
        { """{"type":"ping","id":true}""", "invalid_field", null },
        { """{"type":"ping","id":[1]}""", "invalid_field", null },
    };

    [Theory]
    [MemberData(nameof(SingleBadRequests))]
    public async Task A_bad_request_gets_an_error_with_its_code_and_id_and_the_connection_stays_open(string request, string code, string? id)
    {
        await using var server = await BridgeServer.StartAsync(Settings);
        using var client = await JsonClient.ConnectAsync(server);

        await client.SendRawAsync(request);

        await ExpectErrorAsync(client, code, id);
        await client.PingAsync();
    }

    [Fact]
    public async Task A_binary_message_is_invalid_json_and_the_connection_stays_open()
    {
        await using var server = await BridgeServer.StartAsync(Settings);
        using var client = await JsonClient.ConnectAsync(server);

        await client.Socket.SendBinaryAsync("""{"type":"ping","id":1}"""u8.ToArray());

        await ExpectErrorAsync(client, "invalid_json", null);
        await client.PingAsync();
    }

    [Fact]
    public async Task Ids_of_up_to_64_characters_are_echoed_unchanged_as_strings_or_numbers()
    {
        await using var server = await BridgeServer.StartAsync(Settings);
        using var client = await JsonClient.ConnectAsync(server);

        // 64 characters however they are written: escapes count as the character they stand for.
        var escaped = "\"" + string.Concat(Enumerable.Repeat("\\\"", 32)) + string.Concat(Enumerable.Repeat("\\u00e9", 32)) + "\"";
        foreach (var id in new[] { $"\"{new string('i', 64)}\"", new string('9', 64), escaped, "\"\"", "0", "-1.5e3", "\"é \\\" ü\"" })
        {
            await client.SendRawAsync($$"""{"type":"ping","id":{{id}}}""");
            var pong = await client.ReceiveAsync("pong");
            Assert.Equal(JsonNode.Parse(id)!.ToJsonString(), pong["id"]!.ToJsonString());
        }
    }

    [Fact]
    public async Task Subscribing_twice_to_a_topic_is_already_subscribed()
    {
        await using var server = await BridgeServer.StartAsync(Settings);
        using var client = await JsonClient.ConnectAsync(server, "q");
        await client.ReceiveAsync("subscribed");
        await client.SubscribeAsync("a", id: 1);

        await client.SendRawAsync("""{"type":"subscribe","id":2,"topic":"a"}""");
        await ExpectErrorAsync(client, "already_subscribed", "2");
        await client.SendRawAsync("""{"type":"subscribe","id":"3","topic":"q","since":{"sequence":0,"epoch":"abcdefghij"}}""");
        await ExpectErrorAsync(client, "already_subscribed", "\"3\"");
        await client.PingAsync();
    }

    [Fact]
    public async Task Unsubscribing_from_a_topic_not_subscribed_is_not_subscribed()
    {
        await using var server = await BridgeServer.StartAsync(Settings);
        using var client = await JsonClient.ConnectAsync(server);

        await client.SendRawAsync("""{"type":"unsubscribe","id":1,"topic":"a"}""");
        await ExpectErrorAsync(client, "not_subscribed", "1");

        await client.SubscribeAsync("a");
        await client.SendRawAsync("""{"type":"unsubscribe","id":2,"topic":"a"}""");
        Assert.Equal("2", (await client.ReceiveAsync("unsubscribed"))["id"]!.ToJsonString());
        await client.SendRawAsync("""{"type":"unsubscribe","id":3,"topic":"a"}""");
        await ExpectErrorAsync(client, "not_subscribed", "3");
        await client.PingAsync();
    }

    [Fact]
    public async Task More_subscriptions_than_MaxTopicsPerConnection_are_too_many_until_one_is_released()
    {
        await using var server = await BridgeServer.StartAsync(Settings);
        using var client = await JsonClient.ConnectAsync(server, "q");
        await client.ReceiveAsync("subscribed");
        await client.SubscribeAsync("a");

        // The query topic counts: q and a make 2, the limit.
        await client.SendRawAsync("""{"type":"subscribe","id":"b","topic":"b"}""");
        await ExpectErrorAsync(client, "too_many_subscriptions", "\"b\"");
        await client.SendRawAsync("""{"type":"subscribe","id":"bc","topic":""}""");
        await ExpectErrorAsync(client, "too_many_subscriptions", "\"bc\"");
        await client.PingAsync();

        await client.SendRawAsync("""{"type":"unsubscribe","topic":"q"}""");
        await client.ReceiveAsync("unsubscribed");
        await client.SubscribeAsync("b");
    }

    [Fact]
    public async Task A_publish_over_MaxClientMessageBytes_is_payload_too_large()
    {
        await using var server = await BridgeServer.StartAsync(Settings);
        await using var backend = await PublisherSession.OpenAsync(server.Client);
        using var client = await JsonClient.ConnectAsync(server);

        // Exactly the limit is accepted, one byte more is refused; base64 counts the decoded bytes.
        var atLimit = Convert.ToBase64String(new byte[MaxClientMessageBytes]);
        await client.SendRawAsync($$"""{"type":"publish","id":1,"topic":"chat","data":"{{atLimit}}","encoding":"base64"}""");
        Assert.Equal("1", (await client.ReceiveAsync("published"))["id"]!.ToJsonString());
        Assert.Equal(MaxClientMessageBytes, (await backend.NextMessageAsync()).Binary.Length);

        var overLimit = Convert.ToBase64String(new byte[MaxClientMessageBytes + 1]);
        await client.SendRawAsync($$"""{"type":"publish","id":2,"topic":"chat","data":"{{overLimit}}","encoding":"base64"}""");
        await ExpectErrorAsync(client, "payload_too_large", "2");

        // Text counts its UTF-8 bytes.
        await client.SendRawAsync($$"""{"type":"publish","id":3,"topic":"chat","data":"{{new string('t', MaxClientMessageBytes - 2)}}é"}""");
        await client.ReceiveAsync("published");
        Assert.Equal(MaxClientMessageBytes, System.Text.Encoding.UTF8.GetByteCount((await backend.NextMessageAsync()).Text));
        await client.SendRawAsync($$"""{"type":"publish","id":4,"topic":"chat","data":"{{new string('t', MaxClientMessageBytes - 1)}}é"}""");
        await ExpectErrorAsync(client, "payload_too_large", "4");

        await client.PingAsync();
        await backend.AssertNoMessageAsync();
    }

    [Fact]
    public async Task A_json_message_too_big_to_hold_even_a_base64_payload_at_the_limit_closes_with_1009()
    {
        await using var server = await BridgeServer.StartAsync(Settings);
        using var client = await JsonClient.ConnectAsync(server);

        // Base64 of the limit plus 1 KiB for the other fields is the most a request may take.
        var padding = new string(' ', (MaxClientMessageBytes + 2) / 3 * 4 + 1024);
        await client.SendRawAsync($$"""{"type":"ping",{{padding}}"id":1}""");
        var close = await client.Socket.ReceiveMessageAsync();
        Assert.True(close.IsClose, $"expected the close, got {close.Type} '{close.Text}'");
        Assert.Equal((WebSocketCloseStatus.MessageTooBig, "message too big"), (close.CloseStatus, close.CloseReason));
    }

    [Fact]
    public async Task A_publish_no_backend_listens_to_is_no_listener()
    {
        await using var server = await BridgeServer.StartAsync(Settings);
        using var client = await JsonClient.ConnectAsync(server);

        await client.SendRawAsync("""{"type":"publish","id":1,"topic":"chat","data":"nobody there"}""");
        await ExpectErrorAsync(client, "no_listener", "1");

        await using var backend = await PublisherSession.OpenAsync(server.Client);
        await backend.ListenAsync("other");
        await client.SendRawAsync("""{"type":"publish","id":2,"topic":"chat","data":"not for other"}""");
        await ExpectErrorAsync(client, "no_listener", "2");
        await client.PingAsync();
        await backend.AssertNoMessageAsync();
    }

    [Fact]
    public async Task Fifty_errors_within_ten_seconds_are_tolerated_and_the_51st_closes_with_1008()
    {
        await using var server = await BridgeServer.StartAsync(Settings);
        using var client = await JsonClient.ConnectAsync(server);

        for (var i = 0; i < 50; i++)
        {
            await client.SendRawAsync($$"""{"type":"nope","id":{{i}}}""");
        }

        for (var i = 0; i < 50; i++)
        {
            await ExpectErrorAsync(client, "unknown_type", i.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        await client.PingAsync();

        await client.SendRawAsync("{");
        await ExpectErrorAsync(client, "invalid_json", null);
        var close = await client.Socket.ReceiveMessageAsync();
        Assert.True(close.IsClose, $"expected the close, got {close.Type} '{close.Text}'");
        Assert.Equal((WebSocketCloseStatus.PolicyViolation, "too many invalid requests"), (close.CloseStatus, close.CloseReason));
    }

    private static async Task ExpectErrorAsync(JsonClient client, string code, string? id)
    {
        var error = await client.ReceiveAsync("error");
        Assert.True((string?)error["code"] == code, $"expected code {code}, got {error.ToJsonString()}");
        Assert.False(string.IsNullOrEmpty((string?)error["message"]), error.ToJsonString());
        Assert.Equal(id, error["id"]?.ToJsonString());
        if (id is null)
        {
            Assert.False(error.ContainsKey("id"), error.ToJsonString());
        }
    }
}
