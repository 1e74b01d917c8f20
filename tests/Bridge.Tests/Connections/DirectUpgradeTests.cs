using System.Net.Sockets;
using System.Net.WebSockets;
using System.Text;
using Bridge.Connections;
using Bridge.Tests.Infrastructure;
using Bridge.V1;
using Microsoft.Extensions.Time.Testing;

namespace Bridge.Tests.Connections;

/// <summary>
/// WebSocket upgrades of <c>/ws</c> are taken off the connection before Kestrel's HTTP layer
/// (<see cref="DirectUpgradeMiddleware"/>); everything else still reaches the HTTP layer intact.
/// Kestrel's HTTP layer marks its responses with <c>Server: Kestrel</c>, which tells the two apart.
/// </summary>
public sealed class DirectUpgradeTests
{
    private const string UpgradeHeaders =
        "Connection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n";

    [Fact]
    public async Task A_plain_upgrade_is_answered_without_the_HTTP_layer_and_carries_updates_and_client_messages()
    {
        await using var server = await BridgeServer.StartAsync();
        await using var backend = await PublisherSession.OpenAsync(server.Client);
        using var tcp = await ConnectAsync(server);

        var response = await SendHeadAsync(tcp, $"GET /ws?topic=news HTTP/1.1\r\nHost: {server.HttpUri.Authority}\r\n{UpgradeHeaders}\r\n");
        using var socket = WebSocket.CreateFromStream(tcp.GetStream(), new WebSocketCreationOptions { IsServer = false });
        var connected = await backend.WaitForEventAsync(ClientEvent.Types.Kind.Connected);

        Assert.StartsWith("HTTP/1.1 101 Switching Protocols\r\n", response, StringComparison.Ordinal);
        Assert.DoesNotContain("Server: Kestrel", response, StringComparison.Ordinal);
        Assert.Equal(1u, (await backend.PublishTextAsync("news", "first")).Recipients);
        Assert.Equal("first", await socket.ReceiveTextAsync());
        await socket.SendTextAsync("hello");
        var message = await backend.NextMessageAsync();
        Assert.Equal((connected.ConnectionId, "news", "hello"), (message.ConnectionId, message.Topic, message.Text));
    }

    [Fact]
    public async Task A_frame_sent_right_behind_the_head_is_not_lost()
    {
        await using var server = await BridgeServer.StartAsync();
        await using var backend = await PublisherSession.OpenAsync(server.Client);
        using var tcp = await ConnectAsync(server);

        // The head and a masked text frame "hi" in one write, as an eager client may send them.
        byte[] frame = [0x81, 0x82, 1, 2, 3, 4, (byte)('h' ^ 1), (byte)('i' ^ 2)];
        byte[] head = Encoding.ASCII.GetBytes($"GET /ws HTTP/1.1\r\nHost: {server.HttpUri.Authority}\r\n{UpgradeHeaders}\r\n");
        await tcp.GetStream().WriteAsync((byte[])[.. head, .. frame]);
        var response = await ReadHeadAsync(tcp);

        Assert.StartsWith("HTTP/1.1 101 ", response, StringComparison.Ordinal);
        Assert.Equal("hi", (await backend.NextMessageAsync()).Text);
    }

    [Fact]
    public async Task An_upgrade_after_another_request_on_the_same_connection_goes_through_the_HTTP_layer_and_works()
    {
        await using var server = await BridgeServer.StartAsync();
        await using var backend = await PublisherSession.OpenAsync(server.Client);
        using var tcp = await ConnectAsync(server);

        var health = await SendHeadAsync(tcp, $"GET /healthz HTTP/1.1\r\nHost: {server.HttpUri.Authority}\r\n\r\n");
        await ReadBodyAsync(tcp, health);
        var response = await SendHeadAsync(tcp, $"GET /ws?topic=news HTTP/1.1\r\nHost: {server.HttpUri.Authority}\r\n{UpgradeHeaders}\r\n");
        using var socket = WebSocket.CreateFromStream(tcp.GetStream(), new WebSocketCreationOptions { IsServer = false });
        await backend.WaitForEventAsync(ClientEvent.Types.Kind.Connected);

        Assert.StartsWith("HTTP/1.1 200 ", health, StringComparison.Ordinal);
        Assert.StartsWith("HTTP/1.1 101 ", response, StringComparison.Ordinal);
        Assert.Contains("Server: Kestrel", response, StringComparison.Ordinal);
        Assert.Equal(1u, (await backend.PublishTextAsync("news", "via http")).Recipients);
        Assert.Equal("via http", await socket.ReceiveTextAsync());
    }

    [Fact]
    public async Task A_head_that_arrives_in_pieces_is_upgraded()
    {
        await using var server = await BridgeServer.StartAsync();
        await using var backend = await PublisherSession.OpenAsync(server.Client);
        using var tcp = await ConnectAsync(server);
        var head = $"GET /ws?topic=news HTTP/1.1\r\nHost: {server.HttpUri.Authority}\r\n{UpgradeHeaders}\r\n";

        foreach (var piece in head.Chunk(7))
        {
            await tcp.GetStream().WriteAsync(Encoding.ASCII.GetBytes(piece));
        }

        var response = await ReadHeadAsync(tcp);
        using var socket = WebSocket.CreateFromStream(tcp.GetStream(), new WebSocketCreationOptions { IsServer = false });
        await backend.WaitForEventAsync(ClientEvent.Types.Kind.Connected);

        Assert.StartsWith("HTTP/1.1 101 ", response, StringComparison.Ordinal);
        Assert.Equal(1u, (await backend.PublishTextAsync("news", "pieces")).Recipients);
        Assert.Equal("pieces", await socket.ReceiveTextAsync());
    }

    [Fact]
    public async Task A_head_slower_than_the_direct_path_waits_for_is_left_to_the_HTTP_layer_which_still_upgrades_it()
    {
        var time = new HeadTimerSignal();
        await using var server = await BridgeServer.StartAsync(time);
        using var tcp = await ConnectAsync(server);

        await tcp.GetStream().WriteAsync(Encoding.ASCII.GetBytes($"GET /ws HTTP/1.1\r\nHost: {server.HttpUri.Authority}\r\n"));
        await time.HeadTimerCreated.WaitAsync(TestTimeouts.Signal);
        time.Advance(DirectUpgradeMiddleware.HeadTimeout);
        var response = await SendHeadAsync(tcp, UpgradeHeaders + "\r\n");

        Assert.StartsWith("HTTP/1.1 101 ", response, StringComparison.Ordinal);
        Assert.Contains("Server: Kestrel", response, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("GET /ws HTTP/1.0\r\nHost: {0}\r\n" + UpgradeHeaders)]
    [InlineData("GET /WS HTTP/1.1\r\nHost: {0}\r\n" + UpgradeHeaders)]
    [InlineData("GET /ws HTTP/1.1\r\nHost: {0}\r\nContent-Length: 0\r\n" + UpgradeHeaders)]
    [InlineData("GET /ws HTTP/1.1\r\nHost: {0}\r\nX-Folded: a\r\n b\r\n" + UpgradeHeaders)]
    [InlineData("GET /ws HTTP/1.1\r\nHost: a%b\r\n" + UpgradeHeaders)]
    [InlineData("GET /ws HTTP/1.1\r\nHost: [x\r\n" + UpgradeHeaders)]
    [InlineData("GET /ws HTTP/1.1\r\nHost: {0}\r\nHost: {0}\r\n" + UpgradeHeaders)]
    public async Task Unusual_requests_are_answered_by_the_HTTP_layer_exactly_as_before(string head)
    {
        await using var server = await BridgeServer.StartAsync();
        using var tcp = await ConnectAsync(server);

        var response = await SendHeadAsync(tcp, string.Format(System.Globalization.CultureInfo.InvariantCulture, head, server.HttpUri.Authority) + "\r\n");

        Assert.Contains("Server: Kestrel", response, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_head_ended_by_bare_line_feeds_goes_to_the_HTTP_layer_at_once()
    {
        // The clock never moves: a direct path that waited for CRLF CRLF would wait for ever.
        await using var server = await BridgeServer.StartAsync(new HeadTimerSignal());
        using var tcp = await ConnectAsync(server);

        var response = await SendHeadAsync(tcp, $"GET /ws HTTP/1.1\nHost: {server.HttpUri.Authority}\n{UpgradeHeaders.Replace("\r\n", "\n", StringComparison.Ordinal)}\n");

        Assert.Contains("Server: Kestrel", response, StringComparison.Ordinal);
    }

    [Fact]
    public async Task With_allowed_hosts_configured_upgrades_go_through_host_filtering()
    {
        await using var server = await BridgeServer.StartAsync(configure: builder => builder.Configuration["AllowedHosts"] = "bridge.example");
        using var refused = await ConnectAsync(server);
        using var allowed = await ConnectAsync(server);

        var refusedResponse = await SendHeadAsync(refused, $"GET /ws HTTP/1.1\r\nHost: {server.HttpUri.Authority}\r\n{UpgradeHeaders}\r\n");
        var allowedResponse = await SendHeadAsync(allowed, $"GET /ws HTTP/1.1\r\nHost: bridge.example\r\n{UpgradeHeaders}\r\n");

        Assert.StartsWith("HTTP/1.1 400 ", refusedResponse, StringComparison.Ordinal);
        Assert.StartsWith("HTTP/1.1 101 ", allowedResponse, StringComparison.Ordinal);
        Assert.Contains("Server: Kestrel", allowedResponse, StringComparison.Ordinal);
    }

    private static async Task<TcpClient> ConnectAsync(BridgeServer server)
    {
        var tcp = new TcpClient { NoDelay = true };
        await tcp.ConnectAsync(server.HttpUri.Host, server.HttpUri.Port).WaitAsync(TestTimeouts.Signal);
        return tcp;
    }

    private static async Task<string> SendHeadAsync(TcpClient tcp, string request)
    {
        await tcp.GetStream().WriteAsync(Encoding.ASCII.GetBytes(request));
        return await ReadHeadAsync(tcp);
    }

    /// <summary>Reads a response head byte by byte, so nothing after it (WebSocket frames) is taken.</summary>
    private static async Task<string> ReadHeadAsync(TcpClient tcp)
    {
        var head = new StringBuilder();
        var one = new byte[1];
        using var timeout = new CancellationTokenSource(TestTimeouts.Signal);
        while (!head.ToString().EndsWith("\r\n\r\n", StringComparison.Ordinal))
        {
            if (await tcp.GetStream().ReadAsync(one, timeout.Token) == 0)
            {
                break;
            }

            head.Append((char)one[0]);
        }

        return head.ToString();
    }

    /// <summary>Reads the body of a response (fixed length or chunked), so the next response starts clean.</summary>
    private static async Task ReadBodyAsync(TcpClient tcp, string head)
    {
        if (head.Split("\r\n").SingleOrDefault(l => l.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase)) is { } lengthLine)
        {
            var body = new byte[int.Parse(lengthLine["Content-Length:".Length..].Trim(), System.Globalization.CultureInfo.InvariantCulture)];
            await tcp.GetStream().ReadExactlyAsync(body).AsTask().WaitAsync(TestTimeouts.Signal);
            return;
        }

        Assert.Contains("Transfer-Encoding: chunked", head, StringComparison.OrdinalIgnoreCase);
        var chunked = new StringBuilder();
        var one = new byte[1];
        using var timeout = new CancellationTokenSource(TestTimeouts.Signal);
        while (!chunked.ToString().EndsWith("0\r\n\r\n", StringComparison.Ordinal))
        {
            await tcp.GetStream().ReadExactlyAsync(one, timeout.Token);
            chunked.Append((char)one[0]);
        }
    }

    /// <summary>A fake clock that signals when the direct path arms its wait for a request head.</summary>
    private sealed class HeadTimerSignal() : FakeTimeProvider(DateTimeOffset.UtcNow)
    {
        private readonly TaskCompletionSource _created = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task HeadTimerCreated => _created.Task;

        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
        {
            var timer = base.CreateTimer(callback, state, dueTime, period);
            if (dueTime == DirectUpgradeMiddleware.HeadTimeout && period == Timeout.InfiniteTimeSpan)
            {
                _created.TrySetResult();
            }

            return timer;
        }
    }
}
