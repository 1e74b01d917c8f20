using Bridge.Tests.Infrastructure;
using Bridge.V1;
using Google.Protobuf;

namespace Bridge.Tests.Browser;

/// <summary>
/// The README's browser snippet, run for real: Chromium's own <c>WebSocket</c> on a page of the
/// bridge's origin, talking to the real bridge on Kestrel while a backend holds a gRPC
/// <c>Publish</c> stream. The .NET-client tests check the protocol in detail; these check that a
/// real browser sees it the same way (frame types, text decoding, binaryType, the Origin it sends).
/// </summary>
[Collection(SharedChromium.Name)]
public sealed class PlainWebSocketTests(ChromiumFixture chromium)
{
    /// <summary>
    /// Opens <c>window.socket</c> to the URL argument and resolves once it is open. Every message is
    /// kept in <c>window.received</c> as <c>{ binary, text }</c> or <c>{ binary, bytes }</c>, so C#
    /// can wait on its length and then read it whole.
    /// </summary>
    private const string OpenSocket = """
        async (url) => {
          window.received = [];
          const socket = new WebSocket(url);
          socket.binaryType = "arraybuffer";
          socket.onmessage = (e) => window.received.push(e.data instanceof ArrayBuffer
            ? { binary: true, bytes: Array.from(new Uint8Array(e.data)) }
            : { binary: false, text: e.data });
          window.socket = socket;
          await new Promise((resolve, reject) => {
            socket.onopen = resolve;
            socket.onerror = () => reject(new Error(`WebSocket to ${url} failed`));
          });
        }
        """;

    [Fact]
    public async Task A_page_receives_every_update_published_over_grpc_exactly_once_in_order()
    {
        await using var server = await BridgeServer.StartAsync();
        await using var backend = await PublisherSession.OpenAsync(server.Client);
        await using var browser = await chromium.NewPageAsync();
        await browser.GoToOriginAsync(server.HttpUri);
        await browser.EvaluateAsync(OpenSocket, server.WebSocketUri("t").ToString());

        // The bridge subscribes a connection before it answers the upgrade, so once the page has
        // seen "open" every update below is queued to it. The last one marks the end: one ordered
        // stream, so when it arrives everything before it has arrived, and nothing else may be there.
        string[] updates = [.. Enumerable.Range(1, 20).Select(i => $"update {i} · ü"), "end"];
        foreach (var update in updates)
        {
            var ack = await backend.PublishTextAsync("t", update);
            Assert.Equal((string.Empty, 1u), (ack.Error, ack.Recipients));
        }

        await browser.WaitForAsync("the end marker in the page", "() => window.received.some((m) => m.text === 'end')");
        var received = await browser.EvaluateAsync<ReceivedInPage[]>("window.received");
        Assert.All(received, m => Assert.False(m.Binary));
        Assert.Equal(updates, received.Select(m => m.Text));
        browser.AssertNoErrors();
    }

    [Fact]
    public async Task Text_sent_from_a_page_reaches_a_publish_stream_with_its_connection_and_topic()
    {
        await using var server = await BridgeServer.StartAsync();
        await using var backend = await PublisherSession.OpenAsync(server.Client);
        await using var browser = await chromium.NewPageAsync();
        await browser.GoToOriginAsync(server.HttpUri);
        await browser.EvaluateAsync(OpenSocket, server.WebSocketUri("chat").ToString());
        var connected = await backend.WaitForEventAsync(ClientEvent.Types.Kind.Connected);

        const string Text = "héllo from Chromium → 世界";
        await browser.EvaluateAsync("(text) => window.socket.send(text)", Text);

        var message = await backend.NextMessageAsync();
        Assert.Equal(
            (connected.ConnectionId, "chat", ClientMessage.PayloadOneofCase.Text, Text),
            (message.ConnectionId, message.Topic, message.PayloadCase, message.Text));
        browser.AssertNoErrors();
    }

    [Fact]
    public async Task A_binary_update_arrives_in_a_page_byte_for_byte_as_an_ArrayBuffer()
    {
        await using var server = await BridgeServer.StartAsync();
        await using var backend = await PublisherSession.OpenAsync(server.Client);
        await using var browser = await chromium.NewPageAsync();
        await browser.GoToOriginAsync(server.HttpUri);
        await browser.EvaluateAsync(OpenSocket, server.WebSocketUri("bin").ToString());

        // Every byte value, and more than 65,535 bytes so the frame needs the 64-bit length form.
        var payload = Enumerable.Range(0, 70_000).Select(i => (byte)(i * 7 + (i >> 8))).ToArray();
        var ack = await backend.PublishAsync(new Update { Topic = "bin", Binary = ByteString.CopyFrom(payload) });
        Assert.Equal((string.Empty, 1u), (ack.Error, ack.Recipients));

        await browser.WaitForAsync("the binary update in the page", "() => window.received.length >= 1");
        var received = Assert.Single(await browser.EvaluateAsync<ReceivedInPage[]>("window.received"));
        Assert.True(received.Binary, $"expected an ArrayBuffer, got text: {received.Text}");
        Assert.Equal(payload, received.Bytes!.Select(b => (byte)b));
        browser.AssertNoErrors();
    }

    /// <summary>One entry of <c>window.received</c>, as <see cref="OpenSocket"/> records it (Playwright fills settable properties).</summary>
    private sealed class ReceivedInPage
    {
        public bool Binary { get; set; }

        public string? Text { get; set; }

        public int[]? Bytes { get; set; }
    }
}
