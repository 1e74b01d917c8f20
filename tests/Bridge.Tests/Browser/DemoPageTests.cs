using Bridge.Tests.Infrastructure;
using Bridge.Tests.Sample;
using Microsoft.Playwright;

namespace Bridge.Tests.Browser;

/// <summary>
/// The demo page the bridge serves at <c>/</c>, driven through its stable element ids as a person
/// would use it: the shared list with the real Publisher.Sample behind it, and a topic of its
/// own with a <see cref="PublisherSession"/> as backend where a test needs to see the wire.
/// </summary>
[Collection(SharedChromium.Name)]
public sealed class DemoPageTests(ChromiumFixture chromium)
{
    static DemoPageTests()
    {
        // Playwright's assertions wait 5 s by default; the tests' timeout is the usual signal one.
        Assertions.SetDefaultExpectTimeout((float)TestTimeouts.Signal.TotalMilliseconds);
    }

    [Fact]
    public async Task Two_demo_tabs_on_the_shared_list_show_an_item_added_in_one_of_them_live()
    {
        await using var server = await BridgeServer.StartAsync();
        var sample = SampleProcess.Start(server.GrpcUri.ToString());
        try
        {
            await using var alice = await OpenDemoAsync(server);
            await using var bob = await OpenDemoAsync(server);
            foreach (var tab in new[] { alice, bob })
            {
                await Expect(tab, "#list-panel").ToBeVisibleAsync();
            }

            await bob.Page.FillAsync("#new-item", "milk from Bob");
            await bob.Page.ClickAsync("#add-item");

            await Expect(alice, "#list li span").ToHaveTextAsync(["milk from Bob"]);
            await Expect(bob, "#list li span").ToHaveTextAsync(["milk from Bob"]);
            await Expect(alice, "#list-version").ToContainTextAsync("1 item(s)");
            alice.AssertNoErrors();
            bob.AssertNoErrors();
        }
        catch (Exception ex) when (ex is not Xunit.Sdk.XunitException)
        {
            throw new InvalidOperationException(sample.Describe(), ex);
        }
        finally
        {
            // The sample goes first so that the bridge's shutdown does not wait on its stream.
            await sample.DisposeAsync();
        }
    }

    [Fact]
    public async Task The_demo_page_logs_each_update_of_a_topic_it_subscribed_to_as_it_arrives()
    {
        await using var server = await BridgeServer.StartAsync();
        await using var backend = await PublisherSession.OpenAsync(server.Client);
        await using var page = await OpenDemoAsync(server, "news");
        var ready = await PublishUntilSubscribedAsync(backend, page, "news");

        for (var i = 1; i <= 3; i++)
        {
            var ack = await backend.PublishTextAsync("news", $"headline {i}");
            Assert.Equal((string.Empty, 1u, ready + (ulong)i), (ack.Error, ack.Recipients, ack.Sequence));
            await Expect(page, $"#log li.in[data-topic=news][data-sequence='{ack.Sequence}']").ToContainTextAsync($"headline {i}");
        }

        // Newest first, each once.
        await Expect(page, "#log li.in").ToHaveCountAsync(4);
        var logged = await page.Page.Locator("#log li.in").EvaluateAllAsync<string[]>("(items) => items.map((li) => li.dataset.sequence)");
        Assert.Equal(Enumerable.Range(0, 4).Reverse().Select(i => (ready + (ulong)i).ToString(System.Globalization.CultureInfo.InvariantCulture)), logged);
        page.AssertNoErrors();
    }

    [Fact]
    public async Task A_text_sent_from_the_demo_page_reaches_a_backend_stream_and_the_page_shows_it_published()
    {
        await using var server = await BridgeServer.StartAsync();
        await using var backend = await PublisherSession.OpenAsync(server.Client);
        await backend.ListenAsync("chat");
        await using var page = await OpenDemoAsync(server, "chat");
        var connectionId = await page.Page.Locator("#connection-id").TextContentAsync();

        const string Text = "héllo from the demo → 世界";
        await page.Page.FillAsync("#send-topic", "chat");
        await page.Page.FillAsync("#send-text", Text);
        await page.Page.ClickAsync("#send");

        var message = await backend.NextMessageAsync();
        Assert.Equal((connectionId, "chat", Text), (message.ConnectionId, message.Topic, message.Text));
        await Expect(page, "#send-result").ToHaveAttributeAsync("data-outcome", "published");
        await Expect(page, "#send-text").ToHaveValueAsync(string.Empty);
        page.AssertNoErrors();
    }

    [Fact]
    public async Task A_send_from_the_demo_page_with_no_backend_listening_shows_no_listener()
    {
        await using var server = await BridgeServer.StartAsync();
        await using var page = await OpenDemoAsync(server, "chat");

        await page.Page.FillAsync("#send-topic", "chat");
        await page.Page.FillAsync("#send-text", "anyone there?");
        await page.Page.ClickAsync("#send");

        await Expect(page, "#send-result").ToHaveAttributeAsync("data-outcome", "rejected");
        await Expect(page, "#send-result").ToHaveAttributeAsync("data-code", "no_listener");
        await Expect(page, "#send-text").ToHaveValueAsync("anyone there?");
        page.AssertNoErrors();
    }

    [Fact]
    public async Task After_a_bridge_restart_on_the_same_ports_the_demo_page_shows_the_topic_unrecovered_until_new_state_arrives()
    {
        await using var page = await chromium.NewPageAsync();
        Dictionary<string, string> samePorts;
        var first = await BridgeServer.StartAsync();
        try
        {
            samePorts = first.SamePorts();
            await using var backend = await PublisherSession.OpenAsync(first.Client);
            await GoToDemoAsync(page, first, "news");
            await PublishUntilSubscribedAsync(backend, page, "news");
        }
        finally
        {
            await first.DisposeAsync();
        }

        await using var second = await BridgeServer.StartAsync(samePorts);
        await using var backendAgain = await PublisherSession.OpenAsync(second.Client);

        // The page resumed news from its last position in the old epoch, which the new bridge does not know.
        await Expect(page, "#status").ToHaveAttributeAsync("data-state", "open");
        await Expect(page, "#unrecovered").ToBeVisibleAsync();
        await Expect(page, "#unrecovered").ToHaveAttributeAsync("data-topic", "news");

        // For a topic other than the list the page keeps no state: the next update reloads it.
        await backendAgain.PublishTextAsync("news", "after the restart");
        await Expect(page, "#log li.in[data-topic=news]").ToHaveCountAsync(2);
        await Expect(page, "#log li.in:first-child").ToContainTextAsync("after the restart");
        await Expect(page, "#unrecovered").ToBeHiddenAsync();
        var errors = page.Errors.Where(e => !e.Contains("WebSocket connection to", StringComparison.Ordinal)).ToList();
        Assert.True(errors.Count == 0, "the page reported:\n" + string.Join('\n', errors));
    }

    /// <summary>
    /// Publishes "ready" on <paramref name="topic"/> until the bridge delivers it to a connection,
    /// then waits for the page to log it: the demo subscribes its topics after the bridge's welcome
    /// and shows nothing when the answer comes, so this is how a test knows the subscription is in
    /// effect. Returns the sequence of the "ready" that arrived.
    /// </summary>
    private static async Task<ulong> PublishUntilSubscribedAsync(PublisherSession backend, BrowserPage page, string topic)
    {
        var deadline = DateTime.UtcNow + TestTimeouts.Signal;
        while (true)
        {
            var ack = await backend.PublishTextAsync(topic, "ready");
            Assert.Equal(string.Empty, ack.Error);
            if (ack.Recipients == 1)
            {
                await Expect(page, $"#log li.in[data-topic='{topic}'][data-sequence='{ack.Sequence}']").ToContainTextAsync("ready");
                return ack.Sequence;
            }

            // Each attempt waits for its ack (a round trip), so the loop needs no pause of its own.
            Assert.True(DateTime.UtcNow < deadline, $"the page did not subscribe to {topic} within {TestTimeouts.Signal}");
        }
    }

    private static ILocatorAssertions Expect(BrowserPage page, string selector) =>
        Assertions.Expect(page.Page.Locator(selector));

    /// <summary>A new page on the demo, with <paramref name="topics"/> in its topic field (through <c>?topic=</c>), once it is open.</summary>
    private async Task<BrowserPage> OpenDemoAsync(BridgeServer server, string? topics = null)
    {
        var page = await chromium.NewPageAsync();
        await GoToDemoAsync(page, server, topics);
        return page;
    }

    private static async Task GoToDemoAsync(BrowserPage page, BridgeServer server, string? topics)
    {
        var path = topics is null ? "/" : "/?topic=" + Uri.EscapeDataString(topics);
        var response = await page.Page.GotoAsync(new Uri(server.HttpUri, path).ToString());
        Assert.True(response is { Ok: true }, $"GET {path} answered {response?.Status}");
        await Expect(page, "#status").ToHaveAttributeAsync("data-state", "open");
    }
}
