using System.Text;
using Bridge.Tests.Infrastructure;
using Bridge.V1;
using Kind = Bridge.V1.ClientEvent.Types.Kind;

namespace Bridge.Tests.Browser;

/// <summary>
/// The bridge's framing as Chromium's own <c>WebSocket</c> speaks it: large messages both ways of
/// typing them, the browser's automatic answers to the server's pings, and a close handshake with
/// a custom code, all against the real bridge with a backend on a gRPC <c>Publish</c> stream.
/// </summary>
[Collection(SharedChromium.Name)]
public sealed class WebSocketConformanceBrowserTests(ChromiumFixture chromium)
{
    /// <summary>
    /// Opens <c>window.socket</c> to the URL argument and resolves once it is open. Text messages
    /// are kept in <c>window.received</c>; the close event is kept in <c>window.closeEvent</c>.
    /// </summary>
    private const string OpenSocket = """
        async (url) => {
          window.received = [];
          window.closeEvent = null;
          const socket = new WebSocket(url);
          socket.binaryType = "arraybuffer";
          socket.onmessage = (e) => window.received.push(typeof e.data === "string" ? e.data : `binary of ${e.data.byteLength} bytes`);
          socket.onclose = (e) => { window.closeEvent = { code: e.code, reason: e.reason, wasClean: e.wasClean }; };
          window.socket = socket;
          await new Promise((resolve, reject) => {
            socket.onopen = resolve;
            socket.onerror = () => reject(new Error(`WebSocket to ${url} failed`));
          });
        }
        """;

    [Fact]
    public async Task Text_and_ArrayBuffer_messages_of_about_60_KB_from_a_page_reach_the_backend_whole()
    {
        await using var server = await BridgeServer.StartAsync();
        await using var backend = await PublisherSession.OpenAsync(server.Client);
        await using var browser = await chromium.NewPageAsync();
        await browser.GoToOriginAsync(server.HttpUri);
        await browser.EvaluateAsync(OpenSocket, server.WebSocketUri().ToString());
        var id = (await backend.WaitForEventAsync(Kind.Connected)).ConnectionId;

        // Under the default limit of 64 KiB, with 1-, 2-, 3- and 4-byte UTF-8 characters throughout.
        var text = new StringBuilder();
        while (Encoding.UTF8.GetByteCount(text.ToString()) < 60_000)
        {
            text.Append("Chromium → bridge: é € 😀 ");
        }

        await browser.EvaluateAsync("(text) => window.socket.send(text)", text.ToString());
        await browser.EvaluateAsync(
            "(n) => { const bytes = new Uint8Array(n); for (let i = 0; i < n; i++) bytes[i] = (i * 7 + (i >> 8)) & 255; window.socket.send(bytes.buffer); }",
            60_000);

        var textMessage = await backend.NextMessageAsync();
        var binaryMessage = await backend.NextMessageAsync();
        Assert.Equal((id, ClientMessage.PayloadOneofCase.Text), (textMessage.ConnectionId, textMessage.PayloadCase));
        Assert.Equal(text.ToString(), textMessage.Text);
        Assert.Equal((id, ClientMessage.PayloadOneofCase.Binary), (binaryMessage.ConnectionId, binaryMessage.PayloadCase));
        Assert.Equal(Enumerable.Range(0, 60_000).Select(i => (byte)((i * 7) + (i >> 8))), binaryMessage.Binary.ToByteArray());
        browser.AssertNoErrors();
    }

    [Fact]
    public async Task A_page_socket_answers_the_server_pings_by_itself_and_stays_open_well_beyond_the_ping_timeout()
    {
        await using var server = await BridgeServer.StartAsync(new Dictionary<string, string>
        {
            ["PingInterval"] = "00:00:00.200",
            ["PingTimeout"] = "00:00:01",
        });
        await using var backend = await PublisherSession.OpenAsync(server.Client);
        await using var browser = await chromium.NewPageAsync();
        await browser.GoToOriginAsync(server.HttpUri);
        await browser.EvaluateAsync(OpenSocket, server.WebSocketUri().ToString());
        var pageId = (await backend.WaitForEventAsync(Kind.Connected)).ConnectionId;

        // No clock to watch: a clock of its own. A ClientWebSocket with no receive pending never
        // answers a ping, so the bridge drops it no sooner than the ping timeout (1 s = 5 ping
        // intervals) after it connected. Two such drops one after the other, both opened after the
        // page, mean the page has been open for more than twice the ping timeout; had it not
        // answered, it would have been dropped first.
        for (var round = 1; round <= 2; round++)
        {
            using var silent = await server.ConnectAsync();
            var silentId = (await backend.WaitForEventAsync(Kind.Connected)).ConnectionId;
            while (true)
            {
                var e = await backend.NextEventAsync();
                Assert.False(e.Kind == Kind.Disconnected && e.ConnectionId == pageId, $"the page's socket was dropped while silent client {round} was waiting to be: {e}");
                if (e.Kind == Kind.Disconnected && e.ConnectionId == silentId)
                {
                    break;
                }
            }
        }

        Assert.Equal(1u, (await backend.PublishTextAsync(string.Empty, "after two ping timeouts")).Recipients);
        await browser.WaitForAsync("the update published after two ping timeouts", "() => window.received.includes('after two ping timeouts')");
        var closed = await browser.EvaluateAsync<CloseInPage?>("window.closeEvent");
        Assert.True(closed is null, $"the page's socket closed: code {closed?.Code}, reason \"{closed?.Reason}\"");
        browser.AssertNoErrors();
    }

    [Fact]
    public async Task A_page_close_with_code_4002_is_echoed_and_ends_cleanly()
    {
        await using var server = await BridgeServer.StartAsync();
        await using var backend = await PublisherSession.OpenAsync(server.Client);
        await using var browser = await chromium.NewPageAsync();
        await browser.GoToOriginAsync(server.HttpUri);
        await browser.EvaluateAsync(OpenSocket, server.WebSocketUri().ToString());
        var id = (await backend.WaitForEventAsync(Kind.Connected)).ConnectionId;

        await browser.EvaluateAsync("() => window.socket.close(4002, 'page bye')");

        await browser.WaitForAsync("the page socket's close event", "() => window.closeEvent !== null");
        var closed = await browser.EvaluateAsync<CloseInPage>("window.closeEvent");
        Assert.Equal((4002, true), (closed.Code, closed.WasClean));
        await backend.WaitForEventAsync(Kind.Disconnected, id);
        browser.AssertNoErrors();
    }

    /// <summary><c>window.closeEvent</c>, as the page records its close event (Playwright fills settable properties).</summary>
    private sealed class CloseInPage
    {
        public int Code { get; set; }

        public string? Reason { get; set; }

        public bool WasClean { get; set; }
    }
}
