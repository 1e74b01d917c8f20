using System.Globalization;
using Bridge.Diagnostics;
using Bridge.Tests.Infrastructure;
using Bridge.V1;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;

namespace Bridge.Tests.Browser;

/// <summary>
/// <c>/bridge-client.js</c> in headless Chromium against the real bridge: a subscription that the
/// server drops resumes from the bridge's history with nothing lost and nothing twice, and one that
/// cannot resume (the bridge restarted with its in-memory store) is reported as unrecovered.
/// </summary>
[Collection(SharedChromium.Name)]
public sealed class JsClientResumeTests(ChromiumFixture chromium)
{
    /// <summary>
    /// Imports the client served by the bridge and subscribes to the topic argument. The page keeps
    /// every delivered sequence in <c>window.sequences</c> (and whether its payload starts with that
    /// sequence, in <c>window.mismatches</c>), and the client's <c>closed</c>, <c>unrecovered</c> and
    /// <c>error</c> events. Resolves once the bridge has answered the subscription.
    /// </summary>
    private const string Subscribe = """
        async ({ topic, minDelay, maxDelay }) => {
          const { connect } = await import('/bridge-client.js');
          Object.assign(window, { sequences: [], epochs: [], mismatches: [], closes: [], unrecovered: [], errors: [], opens: 0 });
          const client = connect('/ws', { minDelay, maxDelay });
          client.on('open', () => window.opens++);
          client.on('closed', ({ code, reason }) => window.closes.push({ code, reason }));
          client.on('unrecovered', ({ topic, sequence, epoch }) => window.unrecovered.push({ topic, sequence, epoch }));
          client.on('error', (e) => window.errors.push(`${e.code}: ${e.message}`));
          const subscription = client.subscribe(topic, (data, { sequence, epoch }) => {
            window.sequences.push(sequence);
            window.epochs.push(epoch);
            if (!data.startsWith(`${sequence}:`)) window.mismatches.push(sequence);
          });
          Object.assign(window, { client, subscription });
          await new Promise((resolve) => {
            const poll = () => subscription.position !== null ? resolve() : setTimeout(poll, 5);
            poll();
          });
        }
        """;

    [Fact]
    public async Task A_client_closed_as_a_slow_consumer_mid_burst_reconnects_and_ends_with_every_update_once_in_order()
    {
        const int Total = 2_000;
        // The page's socket falls behind the burst at once, and every resume mid-burst is likely to be
        // closed again, so the client resumes several times; the whole burst stays in history.
        await using var server = await BridgeServer.StartAsync(BridgeServer.SlowReaderBurst(Total));
        using var slowConsumers = new MetricCollector<long>(server.Services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>(), BridgeMetrics.MeterName, "bridge.connections.slow_consumer");
        await using var backend = await PublisherSession.OpenAsync(server.Client);
        await using var browser = await chromium.NewPageAsync();
        await browser.GoToOriginAsync(server.HttpUri);
        await browser.EvaluateAsync(Subscribe, new { topic = "burst", minDelay = 20, maxDelay = 200 });

        // Pipelined: every update goes out before any ack is read, so the bridge fans them out as
        // fast as it accepts them, far faster than a page decodes 16 KiB JSON envelopes.
        var payload = new string('x', 16 * 1024);
        for (var i = 1; i <= Total; i++)
        {
            await backend.SendAsync(new PublishRequest { Update = new Update { Topic = "burst", Text = $"{i}:{payload}" } });
        }

        for (var i = 1; i <= Total; i++)
        {
            var ack = await backend.NextAckAsync();
            Assert.Equal((string.Empty, (ulong)i), (ack.Error, ack.Sequence));
        }

        // Ordered delivery: once the last sequence is there, everything the page will get is there.
        await browser.WaitForAsync($"sequence {Total} in the page", $"() => window.sequences.at(-1) === {Total}");
        var page = await ReadPageAsync(browser);
        Assert.Contains(1008, page.CloseCodes);
        Assert.Equal("slow consumer", page.SlowConsumerReasons);
        Assert.Equal(page.CloseCodes.Length, slowConsumers.GetMeasurementSnapshot().EvaluateAsCounter());
        Assert.Equal(page.CloseCodes.Length + 1, page.Opens);
        Assert.Equal(Enumerable.Range(1, Total), page.Sequences);
        Assert.Empty(page.Mismatches);
        Assert.Equal(string.Empty, page.Unrecovered);
        Assert.Equal(string.Empty, page.Errors);
        browser.AssertNoErrors();
    }

    [Fact]
    public async Task After_a_bridge_restart_on_the_same_ports_the_client_is_told_it_could_not_recover_and_gets_new_updates()
    {
        await using var browser = await chromium.NewPageAsync();
        Dictionary<string, string> samePorts;
        string oldEpoch;
        var first = await BridgeServer.StartAsync();
        try
        {
            samePorts = first.SamePorts();
            await using var backend = await PublisherSession.OpenAsync(first.Client);
            await browser.GoToOriginAsync(first.HttpUri);
            await browser.EvaluateAsync(Subscribe, new { topic = "t", minDelay = 20, maxDelay = 200 });
            Ack? ack = null;
            for (var i = 1; i <= 3; i++)
            {
                ack = await backend.PublishTextAsync("t", $"{i}:before");
            }

            oldEpoch = ack!.Epoch;
            await browser.WaitForAsync("the three updates before the restart", "() => window.sequences.length === 3");
        }
        finally
        {
            // The bridge goes away with its in-memory history; the page stays loaded.
            await first.DisposeAsync();
        }

        await browser.WaitForAsync("the client to see the bridge close the socket", "() => window.closes.length >= 1");
        await using var second = await BridgeServer.StartAsync(samePorts);
        await using var backendAgain = await PublisherSession.OpenAsync(second.Client);

        // The client resumes from t=3 in the old epoch; the new bridge cannot replay it.
        await browser.WaitForAsync("the unrecovered event", "() => window.unrecovered.length >= 1");
        var after = await backendAgain.PublishTextAsync("t", "1:after");
        Assert.NotEqual(oldEpoch, after.Epoch);
        await browser.WaitForAsync("the update after the restart", "() => window.sequences.length === 4");

        var page = await ReadPageAsync(browser);
        Assert.Equal($"t@0.{after.Epoch}", page.Unrecovered);
        Assert.Equal([1, 2, 3, 1], page.Sequences);
        Assert.Equal([oldEpoch, oldEpoch, oldEpoch, after.Epoch], page.Epochs);
        Assert.Empty(page.Mismatches);
        Assert.Equal(1001, page.CloseCodes[0]);
        Assert.Equal(string.Empty, page.Errors);
        AssertNoErrorsBut(browser, "WebSocket connection to");
    }

    /// <summary>
    /// Fails if the page reported an error other than <paramref name="expected"/>: while the
    /// bridge is down, Chromium reports each refused reconnect attempt on the console.
    /// </summary>
    private static void AssertNoErrorsBut(BrowserPage browser, string expected)
    {
        var unexpected = browser.Errors.Where(e => !e.Contains(expected, StringComparison.Ordinal)).ToList();
        Assert.True(unexpected.Count == 0, "the page reported:\n" + string.Join('\n', unexpected));
    }

    private static Task<PageState> ReadPageAsync(BrowserPage browser) => browser.EvaluateAsync<PageState>("""
        ({
          sequences: window.sequences,
          epochs: window.epochs,
          mismatches: window.mismatches,
          closeCodes: window.closes.map((c) => c.code),
          // Joined: Playwright cannot convert an empty JS array to string[].
          slowConsumerReasons: [...new Set(window.closes.filter((c) => c.code === 1008).map((c) => c.reason))].join(' | '),
          unrecovered: window.unrecovered.map((u) => `${u.topic}@${u.sequence}.${u.epoch}`).join(' '),
          errors: window.errors.join(' | '),
          opens: window.opens,
        })
        """);

    /// <summary>What <see cref="Subscribe"/> recorded (Playwright fills settable properties).</summary>
    private sealed class PageState
    {
        public int[] Sequences { get; set; } = [];

        public string[] Epochs { get; set; } = [];

        public int[] Mismatches { get; set; } = [];

        public int[] CloseCodes { get; set; } = [];

        public string SlowConsumerReasons { get; set; } = string.Empty;

        public string Unrecovered { get; set; } = string.Empty;

        public string Errors { get; set; } = string.Empty;

        public int Opens { get; set; }
    }
}
