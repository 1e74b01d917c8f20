using System.Net.WebSockets;
using System.Text;
using Bridge.Tests.Infrastructure;
using Bridge.V1;
using Google.Protobuf;
using Kind = Bridge.V1.ClientEvent.Types.Kind;

namespace Bridge.Tests.Protocol;

/// <summary>
/// RFC 6455 framing as the server side must speak it, checked byte for byte with a raw client
/// (<see cref="RawWebSocketClient"/>) on both upgrade paths, then with .NET's <see cref="ClientWebSocket"/>
/// as an independent client. What the backend receives is observed on a real <c>Publish</c> stream:
/// messages and connection events share that one ordered stream, so once a connection's
/// DISCONNECTED event has arrived, nothing it sent can still be on its way.
/// </summary>
public sealed class WebSocketConformanceTests
{
    private const int Limit = 1000;

    private static readonly Dictionary<string, string> SmallLimit = new() { ["MaxClientMessageBytes"] = "1000" };

    /// <summary>Every way of breaking the framing that must be answered with 1002, and the bytes that do it.</summary>
    private static readonly Dictionary<string, Func<byte[]>> ProtocolErrors = new()
    {
        ["an unmasked text frame"] = () => RawWebSocketClient.Frame(Opcode.Text, "hello"u8, mask: false),
        ["a text frame with RSV1 set"] = () => RawWebSocketClient.Frame(Opcode.Text, "hello"u8, rsv: 0b100),
        ["a binary frame with RSV2 set"] = () => RawWebSocketClient.Frame(Opcode.Binary, [1, 2, 3], rsv: 0b010),
        ["a text frame with RSV3 set"] = () => RawWebSocketClient.Frame(Opcode.Text, "hello"u8, rsv: 0b001),
        ["a frame with the unknown data opcode 0x3"] = () => RawWebSocketClient.Frame(0x3, "hello"u8),
        ["a frame with the unknown control opcode 0xB"] = () => RawWebSocketClient.Frame(0xB, "hello"u8),
        ["a ping with FIN=0 (a fragmented control frame)"] = () => RawWebSocketClient.Frame(Opcode.Ping, "ping"u8, fin: false),
        ["a ping with a 126-byte payload (the 126 length form)"] = () => RawWebSocketClient.Frame(Opcode.Ping, new byte[126]),
        ["a continuation frame with no message in progress"] = () => RawWebSocketClient.Frame(Opcode.Continuation, "orphan"u8),
        ["a text frame while a fragmented text message is in progress"] = () =>
            [.. RawWebSocketClient.Frame(Opcode.Text, "first "u8, fin: false), .. RawWebSocketClient.Frame(Opcode.Text, "second"u8)],
        ["a binary frame while a fragmented binary message is in progress"] = () =>
            [.. RawWebSocketClient.Frame(Opcode.Binary, [1, 2], fin: false), .. RawWebSocketClient.Frame(Opcode.Binary, [3, 4])],
        ["a close frame with a 1-byte payload"] = () => RawWebSocketClient.Frame(Opcode.Close, [0x03]),
        ["a close frame with code 999"] = () => Close(999),
        ["a close frame with code 1004"] = () => Close(1004),
        ["a close frame with code 1005"] = () => Close(1005),
        ["a close frame with code 1006"] = () => Close(1006),
        ["a close frame with code 1015"] = () => Close(1015),
        ["a close frame with code 2000"] = () => Close(2000),
        ["a close frame with code 5000"] = () => Close(5000),
        // Binary frame, mask bit and the 64-bit length form, whose top bit is set (RFC 6455 5.2: it MUST be 0), then the mask key.
        ["a 64-bit extended length with its most significant bit set"] = () => [0x82, 0xFF, 0x80, 0, 0, 0, 0, 0, 0, 5, 1, 2, 3, 4],
    };

    /// <summary>Text messages that are not valid UTF-8 (1007), each as the frames that carry it.</summary>
    private static readonly Dictionary<string, Func<byte[]>> InvalidUtf8 = new()
    {
        ["C3 28 (a lead byte followed by a non-continuation byte)"] = () => RawWebSocketClient.Frame(Opcode.Text, [0x61, 0xC3, 0x28]),
        ["ED A0 80 (an encoded surrogate)"] = () => RawWebSocketClient.Frame(Opcode.Text, [0x61, 0xED, 0xA0, 0x80]),
        ["E2 82 truncated at the end of the last fragment"] = () =>
            [.. RawWebSocketClient.Frame(Opcode.Text, "ok "u8, fin: false), .. RawWebSocketClient.Frame(Opcode.Continuation, [0xE2, 0x82])],
        ["C3 28 as the reason of a close frame"] = () => RawWebSocketClient.Frame(Opcode.Close, RawWebSocketClient.ClosePayload(1000, [0xC3, 0x28])),
    };

    public static TheoryData<UpgradePath> Paths => [UpgradePath.Direct, UpgradePath.HttpLayer];

    public static TheoryData<UpgradePath, string> ProtocolErrorCases => Cross(ProtocolErrors.Keys);

    public static TheoryData<UpgradePath, string> InvalidUtf8Cases => Cross(InvalidUtf8.Keys);

    [Theory]
    [MemberData(nameof(Paths))]
    public async Task Text_and_binary_messages_sent_as_single_frames_reach_the_backend_unchanged(UpgradePath path)
    {
        await using var server = await BridgeServer.StartAsync();
        await using var backend = await PublisherSession.OpenAsync(server.Client);
        await using var client = await RawWebSocketClient.ConnectAsync(server.HttpUri, path);
        var id = await ConnectedIdAsync(backend);

        // The three length forms: 7-bit, 16-bit (126) and 64-bit (127, exactly the default limit of 64 KiB).
        var text = "héllo € 😀";
        var mediumText = string.Concat(Enumerable.Repeat("ab€", 50));
        byte[] small = [0, 1, 2, 255];
        var large = Pattern(64 * 1024);
        await client.SendTextAsync(text);
        await client.SendTextAsync(mediumText);
        await client.SendFrameAsync(Opcode.Binary, small);
        await client.SendFrameAsync(Opcode.Binary, large);
        await client.SendTextAsync(string.Empty);

        AssertText(text, id, await backend.NextMessageAsync());
        AssertText(mediumText, id, await backend.NextMessageAsync());
        AssertBinary(small, id, await backend.NextMessageAsync());
        AssertBinary(large, id, await backend.NextMessageAsync());
        AssertText(string.Empty, id, await backend.NextMessageAsync());
    }

    [Theory]
    [MemberData(nameof(Paths))]
    public async Task A_message_fragmented_into_several_frames_reaches_the_backend_as_one_message(UpgradePath path)
    {
        await using var server = await BridgeServer.StartAsync();
        await using var backend = await PublisherSession.OpenAsync(server.Client);
        await using var client = await RawWebSocketClient.ConnectAsync(server.HttpUri, path);
        var id = await ConnectedIdAsync(backend);

        await client.SendFrameAsync(Opcode.Text, "Hello, "u8, fin: false);
        await client.SendFrameAsync(Opcode.Continuation, "fragmented "u8, fin: false);
        await client.SendFrameAsync(Opcode.Continuation, [], fin: false);
        await client.SendFrameAsync(Opcode.Continuation, "world"u8);
        var binary = Pattern(3000);
        await client.SendFrameAsync(Opcode.Binary, binary.AsSpan(0, 1000), fin: false);
        await client.SendFrameAsync(Opcode.Continuation, binary.AsSpan(1000, 1500), fin: false);
        await client.SendFrameAsync(Opcode.Continuation, binary.AsSpan(2500));

        AssertText("Hello, fragmented world", id, await backend.NextMessageAsync());
        AssertBinary(binary, id, await backend.NextMessageAsync());
    }

    [Theory]
    [MemberData(nameof(Paths))]
    public async Task A_multi_byte_UTF8_character_split_across_fragments_arrives_intact(UpgradePath path)
    {
        await using var server = await BridgeServer.StartAsync();
        await using var backend = await PublisherSession.OpenAsync(server.Client);
        await using var client = await RawWebSocketClient.ConnectAsync(server.HttpUri, path);
        var id = await ConnectedIdAsync(backend);

        // "é" (C3 A9) split after its lead byte.
        await client.SendFrameAsync(Opcode.Text, [.. "caf"u8, 0xC3], fin: false);
        await client.SendFrameAsync(Opcode.Continuation, [0xA9]);
        // "€" (E2 82 AC) split after one byte, then after two.
        await client.SendFrameAsync(Opcode.Text, [.. "1 "u8, 0xE2], fin: false);
        await client.SendFrameAsync(Opcode.Continuation, [0x82, 0xAC]);
        await client.SendFrameAsync(Opcode.Text, [.. "2 "u8, 0xE2, 0x82], fin: false);
        await client.SendFrameAsync(Opcode.Continuation, [0xAC]);
        // "😀" (F0 9F 98 80) one byte per fragment, with an empty fragment in the middle.
        await client.SendFrameAsync(Opcode.Text, [0xF0], fin: false);
        await client.SendFrameAsync(Opcode.Continuation, [0x9F], fin: false);
        await client.SendFrameAsync(Opcode.Continuation, [], fin: false);
        await client.SendFrameAsync(Opcode.Continuation, [0x98], fin: false);
        await client.SendFrameAsync(Opcode.Continuation, [0x80, .. "!"u8]);

        AssertText("café", id, await backend.NextMessageAsync());
        AssertText("1 €", id, await backend.NextMessageAsync());
        AssertText("2 €", id, await backend.NextMessageAsync());
        AssertText("😀!", id, await backend.NextMessageAsync());
    }

    [Theory]
    [MemberData(nameof(Paths))]
    public async Task A_ping_is_answered_with_a_pong_carrying_the_identical_payload(UpgradePath path)
    {
        await using var server = await BridgeServer.StartAsync();
        await using var backend = await PublisherSession.OpenAsync(server.Client);
        await using var client = await RawWebSocketClient.ConnectAsync(server.HttpUri, path);
        await ConnectedIdAsync(backend);

        byte[][] payloads = [[], "p"u8.ToArray(), Pattern(125)];
        foreach (var payload in payloads)
        {
            await client.SendFrameAsync(Opcode.Ping, payload);
            var pong = await client.ReceiveAsync($"a pong for a ping of {payload.Length} bytes");
            Assert.True(pong.Opcode == Opcode.Pong && pong.Payload.SequenceEqual(payload), $"expected a pong carrying the ping's {payload.Length} bytes {Convert.ToHexString(payload)}, got a {pong}");
        }
    }

    [Theory]
    [MemberData(nameof(Paths))]
    public async Task A_ping_between_fragments_is_answered_at_once_and_the_message_still_arrives_whole(UpgradePath path)
    {
        await using var server = await BridgeServer.StartAsync();
        await using var backend = await PublisherSession.OpenAsync(server.Client);
        await using var client = await RawWebSocketClient.ConnectAsync(server.HttpUri, path);
        var id = await ConnectedIdAsync(backend);

        await client.SendFrameAsync(Opcode.Text, "first half, "u8, fin: false);
        await client.SendFrameAsync(Opcode.Ping, "mid-message"u8);
        var pong = await client.ReceiveAsync("a pong for the ping sent between two fragments");
        Assert.True(pong.Opcode == Opcode.Pong && pong.Text == "mid-message", $"expected a pong carrying \"mid-message\" before the message is complete, got a {pong}");
        await client.SendFrameAsync(Opcode.Continuation, "second half"u8);

        AssertText("first half, second half", id, await backend.NextMessageAsync());
    }

    [Theory]
    [MemberData(nameof(Paths))]
    public async Task An_unsolicited_pong_is_ignored_and_the_connection_carries_on(UpgradePath path)
    {
        await using var server = await BridgeServer.StartAsync();
        await using var backend = await PublisherSession.OpenAsync(server.Client);
        await using var client = await RawWebSocketClient.ConnectAsync(server.HttpUri, path);
        var id = await ConnectedIdAsync(backend);

        await client.SendFrameAsync(Opcode.Pong, "unsolicited"u8);
        await client.SendTextAsync("after the pong");

        AssertText("after the pong", id, await backend.NextMessageAsync());
        Assert.Equal(1u, (await backend.PublishTextAsync(string.Empty, "still open")).Recipients);
        var frame = await client.ReceiveAsync("the update published after the unsolicited pong");
        Assert.True(frame.Opcode == Opcode.Text && frame.Text == "still open", $"expected the text frame \"still open\", got a {frame}");
    }

    [Theory]
    [InlineData(UpgradePath.Direct, 1000, "bye", 1000)]
    [InlineData(UpgradePath.HttpLayer, 1000, "bye", 1000)]
    [InlineData(UpgradePath.Direct, null, "", 1000)]
    [InlineData(UpgradePath.HttpLayer, null, "", 1000)]
    [InlineData(UpgradePath.Direct, 4000, "", 4000)]
    [InlineData(UpgradePath.HttpLayer, 4000, "", 4000)]
    public async Task A_client_close_is_answered_with_a_close_frame_then_the_server_closes_the_TCP_connection(UpgradePath path, int? code, string reason, int answered)
    {
        await using var server = await BridgeServer.StartAsync();
        await using var backend = await PublisherSession.OpenAsync(server.Client);
        await using var client = await RawWebSocketClient.ConnectAsync(server.HttpUri, path);
        var id = await ConnectedIdAsync(backend);

        await client.SendCloseAsync(code, reason);

        await ExpectCloseAsync(client, answered);
        var end = await client.ExpectTcpEndAsync();
        Assert.True(end == TcpEnd.Closed, $"expected the server to close the TCP connection in order (FIN, a read returning 0) after the close handshake, but it was {end}.");
        await backend.WaitForEventAsync(Kind.Disconnected, id);
    }

    [Theory]
    [MemberData(nameof(ProtocolErrorCases))]
    public async Task A_protocol_error_is_answered_with_1002_and_the_TCP_close_delivering_nothing_and_sparing_other_connections(UpgradePath path, string violation)
    {
        await using var server = await BridgeServer.StartAsync();
        await using var backend = await PublisherSession.OpenAsync(server.Client);
        using var bystander = await server.ConnectAsync();
        await backend.WaitForEventAsync(Kind.Connected);
        await using var offender = await RawWebSocketClient.ConnectAsync(server.HttpUri, path);
        var offenderId = await ConnectedIdAsync(backend);

        await offender.SendAsync(ProtocolErrors[violation]());

        var close = await ExpectCloseAsync(offender, 1002, $"after {violation}");
        await offender.ExpectTcpEndAsync();
        await AssertNothingDeliveredFromAsync(backend, offenderId);
        Assert.Equal(1u, (await backend.PublishTextAsync(string.Empty, "after the protocol error")).Recipients);
        Assert.Equal("after the protocol error", await bystander.ReceiveTextAsync());
        AssertReason(close);
    }

    [Theory]
    [MemberData(nameof(InvalidUtf8Cases))]
    public async Task Invalid_UTF8_is_answered_with_1007_and_delivers_nothing(UpgradePath path, string invalid)
    {
        await using var server = await BridgeServer.StartAsync();
        await using var backend = await PublisherSession.OpenAsync(server.Client);
        await using var client = await RawWebSocketClient.ConnectAsync(server.HttpUri, path);
        var id = await ConnectedIdAsync(backend);

        await client.SendAsync(InvalidUtf8[invalid]());

        await ExpectCloseAsync(client, 1007, $"after {invalid}");
        await client.ExpectTcpEndAsync();
        await AssertNothingDeliveredFromAsync(backend, id);
    }

    [Theory]
    [InlineData(UpgradePath.Direct, Limit + 1)]
    [InlineData(UpgradePath.HttpLayer, Limit + 1)]
    [InlineData(UpgradePath.Direct, 1_000_000)]
    [InlineData(UpgradePath.HttpLayer, 1_000_000)]
    public async Task A_frame_declaring_more_than_the_limit_is_refused_with_1009_before_its_payload_arrives(UpgradePath path, long declared)
    {
        await using var server = await BridgeServer.StartAsync(new Dictionary<string, string>(SmallLimit) { ["CloseTimeout"] = "00:00:01" });
        await using var backend = await PublisherSession.OpenAsync(server.Client);
        await using var client = await RawWebSocketClient.ConnectAsync(server.HttpUri, path);
        var id = await ConnectedIdAsync(backend);

        // Only the header and the first 10 bytes: the header alone says the message is too big.
        await client.SendAsync(RawWebSocketClient.Frame(Opcode.Binary, Pattern(10), declaredLength: declared));

        var close = await ExpectCloseAsync(client, 1009, $"after a header declaring {declared} bytes and only 10 of them");
        Assert.Equal("message too big", close.CloseReason);
        await client.ExpectTcpEndAsync();
        await AssertNothingDeliveredFromAsync(backend, id);
    }

    [Theory]
    [MemberData(nameof(Paths))]
    public async Task A_continuation_declaring_the_largest_64_bit_length_after_a_first_fragment_is_refused_with_1009(UpgradePath path)
    {
        await using var server = await BridgeServer.StartAsync(new Dictionary<string, string>(SmallLimit) { ["CloseTimeout"] = "00:00:01" });
        await using var backend = await PublisherSession.OpenAsync(server.Client);
        await using var client = await RawWebSocketClient.ConnectAsync(server.HttpUri, path);
        var id = await ConnectedIdAsync(backend);

        // What has arrived plus what is declared overflows a signed 64-bit sum: the check must not wrap.
        await client.SendFrameAsync(Opcode.Binary, Pattern(1), fin: false);
        await client.SendAsync(RawWebSocketClient.Frame(Opcode.Continuation, Pattern(10), declaredLength: long.MaxValue));

        var close = await ExpectCloseAsync(client, 1009, "after a continuation declaring 2^63-1 bytes");
        Assert.Equal("message too big", close.CloseReason);
        await client.ExpectTcpEndAsync();
        await AssertNothingDeliveredFromAsync(backend, id);
    }

    [Theory]
    [MemberData(nameof(Paths))]
    public async Task A_fragmented_message_over_the_limit_in_total_is_refused_with_1009_and_the_close_handshake_still_completes(UpgradePath path)
    {
        await using var server = await BridgeServer.StartAsync(SmallLimit);
        await using var backend = await PublisherSession.OpenAsync(server.Client);
        await using var client = await RawWebSocketClient.ConnectAsync(server.HttpUri, path);
        var id = await ConnectedIdAsync(backend);

        // Three fragments of 400 bytes: each is well under the limit of 1000, together they are over it.
        await client.SendFrameAsync(Opcode.Binary, Pattern(400), fin: false);
        await client.SendFrameAsync(Opcode.Continuation, Pattern(400), fin: false);
        await client.SendFrameAsync(Opcode.Continuation, Pattern(400));

        var close = await ExpectCloseAsync(client, 1009, "after fragments totalling 1200 bytes");
        Assert.Equal("message too big", close.CloseReason);
        await client.SendCloseAsync(1009);
        var end = await client.ExpectTcpEndAsync();
        Assert.True(end == TcpEnd.Closed, $"expected the server to close the TCP connection in order (FIN) once the client answered its 1009 close, but it was {end}.");
        await AssertNothingDeliveredFromAsync(backend, id);
    }

    [Theory]
    [MemberData(nameof(Paths))]
    public async Task A_message_of_exactly_the_limit_is_delivered_whole_or_fragmented(UpgradePath path)
    {
        await using var server = await BridgeServer.StartAsync(SmallLimit);
        await using var backend = await PublisherSession.OpenAsync(server.Client);
        await using var client = await RawWebSocketClient.ConnectAsync(server.HttpUri, path);
        var id = await ConnectedIdAsync(backend);

        var binary = Pattern(Limit);
        var text = new string('t', Limit);
        await client.SendFrameAsync(Opcode.Binary, binary);
        for (var i = 0; i < 4; i++)
        {
            await client.SendFrameAsync(i == 0 ? Opcode.Text : Opcode.Continuation, Encoding.UTF8.GetBytes(text[(i * 250)..((i + 1) * 250)]), fin: i == 3);
        }

        AssertBinary(binary, id, await backend.NextMessageAsync());
        AssertText(text, id, await backend.NextMessageAsync());
        Assert.Equal(1u, (await backend.PublishTextAsync(string.Empty, "still open")).Recipients);
        var frame = await client.ReceiveAsync("an update after two messages of exactly the limit");
        Assert.True(frame.Opcode == Opcode.Text && frame.Text == "still open", $"expected the text frame \"still open\", got a {frame}");
    }

    [Theory]
    [MemberData(nameof(Paths))]
    public async Task Frames_written_a_few_bytes_at_a_time_are_delivered_whole(UpgradePath path)
    {
        await using var server = await BridgeServer.StartAsync();
        await using var backend = await PublisherSession.OpenAsync(server.Client);
        await using var client = await RawWebSocketClient.ConnectAsync(server.HttpUri, path);
        var id = await ConnectedIdAsync(backend);

        // A 16-bit-length text frame (its extended length and mask key split too), a fragmented
        // message with a ping between its fragments, and a small binary frame.
        var text = string.Concat(Enumerable.Repeat("slow é € ", 20));
        byte[] bytes =
        [
            .. RawWebSocketClient.Frame(Opcode.Text, Encoding.UTF8.GetBytes(text)),
            .. RawWebSocketClient.Frame(Opcode.Text, "piece"u8, fin: false),
            .. RawWebSocketClient.Frame(Opcode.Ping, "dribbled"u8),
            .. RawWebSocketClient.Frame(Opcode.Continuation, "meal"u8),
            .. RawWebSocketClient.Frame(Opcode.Binary, [9, 8, 7]),
        ];
        await client.SendInPiecesAsync(bytes);

        AssertText(text, id, await backend.NextMessageAsync());
        AssertText("piecemeal", id, await backend.NextMessageAsync());
        AssertBinary([9, 8, 7], id, await backend.NextMessageAsync());
        var pong = await client.ReceiveAsync("the pong for the ping written in pieces");
        Assert.True(pong.Opcode == Opcode.Pong && pong.Text == "dribbled", $"expected a pong carrying \"dribbled\", got a {pong}");
    }

    [Theory]
    [MemberData(nameof(Paths))]
    public async Task Several_complete_frames_in_one_write_are_all_delivered_in_order(UpgradePath path)
    {
        await using var server = await BridgeServer.StartAsync();
        await using var backend = await PublisherSession.OpenAsync(server.Client);
        await using var client = await RawWebSocketClient.ConnectAsync(server.HttpUri, path);
        var id = await ConnectedIdAsync(backend);

        await client.SendAsync(
        [
            .. RawWebSocketClient.Frame(Opcode.Text, "one"u8),
            .. RawWebSocketClient.Frame(Opcode.Text, "two"u8),
            .. RawWebSocketClient.Frame(Opcode.Text, "three"u8),
        ]);

        AssertText("one", id, await backend.NextMessageAsync());
        AssertText("two", id, await backend.NextMessageAsync());
        AssertText("three", id, await backend.NextMessageAsync());
    }

    [Theory]
    [MemberData(nameof(Paths))]
    public async Task Frames_from_the_server_are_unmasked_with_RSV_0_and_control_frames_have_FIN(UpgradePath path)
    {
        await using var server = await BridgeServer.StartAsync();
        await using var backend = await PublisherSession.OpenAsync(server.Client);
        await using var client = await RawWebSocketClient.ConnectAsync(server.HttpUri, path);
        await ConnectedIdAsync(backend);

        await backend.PublishTextAsync(string.Empty, "text");
        await backend.PublishAsync(new Update { Binary = ByteString.CopyFrom(Pattern(300)) });
        var frames = new List<RawFrame> { await client.ReceiveAsync("the text update"), await client.ReceiveAsync("the binary update") };
        await client.SendFrameAsync(Opcode.Ping, "shape"u8);
        frames.Add(await client.ReceiveAsync("the pong"));
        await client.SendCloseAsync(1000);
        frames.Add(await client.ReceiveAsync("the close answer"));

        Assert.Equal([Opcode.Text, Opcode.Binary, Opcode.Pong, Opcode.Close], frames.Select(f => f.Opcode));
        foreach (var frame in frames)
        {
            AssertServerFrameShape(frame);
        }
    }

    [Theory]
    [MemberData(nameof(Paths))]
    public async Task A_raw_client_that_answers_every_server_ping_stays_connected_beyond_the_ping_timeout(UpgradePath path)
    {
        var pingTimeout = TimeSpan.FromSeconds(2);
        await using var server = await BridgeServer.StartAsync(new Dictionary<string, string>
        {
            ["PingInterval"] = "00:00:00.200",
            ["PingTimeout"] = "00:00:02",
        });
        await using var backend = await PublisherSession.OpenAsync(server.Client);
        await using var client = await RawWebSocketClient.ConnectAsync(server.HttpUri, path);
        await ConnectedIdAsync(backend);

        // Answer pings until at least 3 have come and longer than the ping timeout has passed, so a
        // client that had not answered would have been dropped by now.
        var watch = System.Diagnostics.Stopwatch.StartNew();
        var pings = 0;
        while (pings < 3 || watch.Elapsed < pingTimeout + TimeSpan.FromMilliseconds(400))
        {
            var ping = await client.ReceiveIncludingPingsAsync($"server ping number {pings + 1} (PingInterval 200 ms)");
            Assert.True(ping.Opcode == Opcode.Ping, $"expected only server pings, got a {ping}");
            AssertServerFrameShape(ping);
            await client.SendFrameAsync(Opcode.Pong, ping.Payload);
            pings++;
        }

        Assert.Equal(1u, (await backend.PublishTextAsync(string.Empty, "still connected")).Recipients);
        var frame = await client.ReceiveAsync($"the update published after {pings} answered pings");
        Assert.True(frame.Opcode == Opcode.Text && frame.Text == "still connected", $"expected the text frame \"still connected\" after {pings} answered pings, got a {frame}");
    }

    [Theory]
    [MemberData(nameof(Paths))]
    public async Task A_raw_client_that_never_answers_a_ping_is_dropped(UpgradePath path)
    {
        await using var server = await BridgeServer.StartAsync(new Dictionary<string, string>
        {
            ["PingInterval"] = "00:00:00.200",
            ["PingTimeout"] = "00:00:02",
        });
        await using var backend = await PublisherSession.OpenAsync(server.Client);
        await using var client = await RawWebSocketClient.ConnectAsync(server.HttpUri, path);
        var id = await ConnectedIdAsync(backend);

        // Read (so the TCP end is seen) but never answer; pings, and a close frame if the server
        // chooses to send one, may come before the end.
        var pings = 0;
        while (await client.ReceiveOrEndAsync("server pings and then the end of the TCP connection") is { } frame)
        {
            Assert.True(frame.Opcode is Opcode.Ping or Opcode.Close, $"expected only server pings (or a close) before the drop, got a {frame}");
            AssertServerFrameShape(frame);
            pings += frame.Opcode == Opcode.Ping ? 1 : 0;
        }

        Assert.True(pings >= 1, $"the server ended the connection ({client.Ended}) without having sent a ping.");
        await backend.WaitForEventAsync(Kind.Disconnected, id);
    }

    [Fact]
    public async Task ClientWebSocket_a_message_just_under_the_limit_sent_in_several_parts_arrives_whole()
    {
        await using var server = await BridgeServer.StartAsync();
        await using var backend = await PublisherSession.OpenAsync(server.Client);
        using var client = await server.ConnectAsync();
        var id = (await backend.WaitForEventAsync(Kind.Connected)).ConnectionId;

        // The default limit is 64 KiB. 21,845 "€" (3 bytes each) are 65,535 bytes; parts of 4 KiB
        // split characters between frames.
        var text = new string('€', 21_845);
        var bytes = Encoding.UTF8.GetBytes(text);
        Assert.Equal(64 * 1024 - 1, bytes.Length);
        foreach (var part in bytes.Chunk(4096))
        {
            await client.SendAsync(part, WebSocketMessageType.Text, endOfMessage: false, CancellationToken.None);
        }

        await client.SendAsync(Array.Empty<byte>(), WebSocketMessageType.Text, endOfMessage: true, CancellationToken.None);

        AssertText(text, id, await backend.NextMessageAsync());
    }

    [Fact]
    public async Task ClientWebSocket_a_close_with_a_custom_code_is_echoed_and_the_socket_ends_Closed()
    {
        await using var server = await BridgeServer.StartAsync();
        await using var backend = await PublisherSession.OpenAsync(server.Client);
        using var client = await server.ConnectAsync();
        var id = (await backend.WaitForEventAsync(Kind.Connected)).ConnectionId;

        await client.CloseAsync((WebSocketCloseStatus)4003, "dotnet bye", CancellationToken.None).WaitAsync(TestTimeouts.Signal);

        Assert.Equal((WebSocketState.Closed, (WebSocketCloseStatus)4003), (client.State, client.CloseStatus));
        await backend.WaitForEventAsync(Kind.Disconnected, id);
    }

    private static TheoryData<UpgradePath, string> Cross(IEnumerable<string> cases)
    {
        var data = new TheoryData<UpgradePath, string>();
        foreach (var name in cases)
        {
            data.Add(UpgradePath.Direct, name);
            data.Add(UpgradePath.HttpLayer, name);
        }

        return data;
    }

    private static byte[] Close(int code) => RawWebSocketClient.Frame(Opcode.Close, RawWebSocketClient.ClosePayload(code));

    /// <summary>Bytes that differ from their neighbours and cover every value.</summary>
    private static byte[] Pattern(int length) => [.. Enumerable.Range(0, length).Select(i => (byte)((i * 7) + (i >> 8)))];

    /// <summary>The id of the connection just opened: the bridge announces it before it answers 101.</summary>
    private static async Task<string> ConnectedIdAsync(PublisherSession backend) =>
        (await backend.WaitForEventAsync(Kind.Connected)).ConnectionId;

    private static async Task<RawFrame> ExpectCloseAsync(RawWebSocketClient client, int code, string context = "")
    {
        var expected = $"a close frame with code {code}{(context.Length == 0 ? string.Empty : " " + context)}";
        var frame = await client.ReceiveAsync(expected);
        Assert.True(frame.Opcode == Opcode.Close && frame.CloseCode == code, $"expected {expected}, got a {frame}");
        return frame;
    }

    /// <summary>
    /// Waits for the connection's DISCONNECTED event, then checks that no message of it came before:
    /// messages and events share one ordered stream, so nothing of it can arrive later.
    /// </summary>
    private static async Task AssertNothingDeliveredFromAsync(PublisherSession backend, string connectionId)
    {
        await backend.WaitForEventAsync(Kind.Disconnected, connectionId);
        while (backend.Messages.Reader.TryRead(out var message))
        {
            Assert.False(message.ConnectionId == connectionId, $"the backend received a message from the offending connection: {message}");
        }
    }

    /// <summary>RFC 6455 7.4 / 5.5.1: a close reason is UTF-8 and fits a control frame (123 bytes after the code).</summary>
    private static void AssertReason(RawFrame close) =>
        Assert.True(
            close.CloseReasonBytes.Length is > 0 and <= 123 && close.CloseReason is not null,
            $"expected the close frame to give a non-empty UTF-8 reason of at most 123 bytes, got {close.CloseReasonBytes.Length} bytes ({close}).");

    /// <summary>RFC 6455 5.1, 5.2, 5.5: a server never masks, sets no RSV bit without an extension, and never fragments a control frame.</summary>
    private static void AssertServerFrameShape(RawFrame frame) =>
        Assert.True(
            !frame.Masked && frame.Rsv == 0 && (!frame.IsControl || (frame.Fin && frame.Payload.Length <= 125)),
            $"expected a server frame to be unmasked, with RSV bits 0 and, if a control frame, FIN=1 and at most 125 bytes; got a {frame}");

    private static void AssertText(string expected, string connectionId, ClientMessage message)
    {
        Assert.Equal(ClientMessage.PayloadOneofCase.Text, message.PayloadCase);
        Assert.Equal(connectionId, message.ConnectionId);
        Assert.Equal(expected, message.Text);
    }

    private static void AssertBinary(byte[] expected, string connectionId, ClientMessage message)
    {
        Assert.Equal(ClientMessage.PayloadOneofCase.Binary, message.PayloadCase);
        Assert.Equal(connectionId, message.ConnectionId);
        Assert.Equal(expected, message.Binary.ToByteArray());
    }
}
