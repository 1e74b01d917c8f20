using System.Globalization;
using Bridge.Diagnostics;
using Bridge.Tests.Infrastructure;
using Bridge.V1;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;

namespace Bridge.Tests.Browser;

/// <summary>
/// Chromium's own <c>EventSource</c> on <c>/sse</c>: no client library, only the browser's built-in
/// reconnect, which sends the last event id back as <c>Last-Event-ID</c>.
/// </summary>
[Collection(SharedChromium.Name)]
public sealed class EventSourceTests(ChromiumFixture chromium)
{
    [Fact]
    public async Task An_EventSource_whose_stream_the_bridge_ends_mid_burst_resumes_by_itself_with_no_gap_or_duplicate()
    {
        const int Total = 1_000;
        // The stream ends as a slow consumer as soon as the page falls behind; the browser retries fast.
        var settings = BridgeServer.SlowReaderBurst(Total);
        settings["Sse:RetryInterval"] = "00:00:00.050";
        await using var server = await BridgeServer.StartAsync(settings);
        using var slowConsumers = new MetricCollector<long>(server.Services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>(), BridgeMetrics.MeterName, "bridge.connections.slow_consumer");
        await using var backend = await PublisherSession.OpenAsync(server.Client);
        await using var browser = await chromium.NewPageAsync();
        await browser.GoToOriginAsync(server.HttpUri);

        // Every stream of the EventSource starts with a welcome: their count is the number of
        // connections. Each update's payload starts with its sequence.
        await browser.EvaluateAsync("""
            async () => {
              Object.assign(window, { sequences: [], lastEventId: '', welcomes: 0, unrecovered: [] });
              const events = new EventSource('/sse?topic=burst');
              events.onmessage = (e) => {
                window.sequences.push(Number(e.data.slice(0, e.data.indexOf(':'))));
                window.lastEventId = e.lastEventId;
              };
              events.addEventListener('unrecovered', (e) => window.unrecovered.push(e.data));
              window.events = events;
              await new Promise((resolve) => events.addEventListener('welcome', () => { window.welcomes++; resolve(); }));
            }
            """);

        var payload = new string('x', 16 * 1024);
        for (var i = 1; i <= Total; i++)
        {
            await backend.SendAsync(new PublishRequest { Update = new Update { Topic = "burst", Text = $"{i}:{payload}" } });
        }

        Ack? last = null;
        for (var i = 1; i <= Total; i++)
        {
            last = await backend.NextAckAsync();
            Assert.Equal((string.Empty, (ulong)i), (last.Error, last.Sequence));
        }

        await browser.WaitForAsync($"sequence {Total} in the page", $"() => window.sequences.at(-1) === {Total}");
        var page = await browser.EvaluateAsync<PageState>("""
            ({ sequences: window.sequences, lastEventId: window.lastEventId, welcomes: window.welcomes, unrecovered: window.unrecovered.join(' | ') })
            """);
        var ended = slowConsumers.GetMeasurementSnapshot().EvaluateAsCounter();
        Assert.True(ended >= 1, "the bridge was expected to end the stream as a slow consumer at least once");
        Assert.Equal(ended + 1, page.Welcomes);
        Assert.Equal(Enumerable.Range(1, Total), page.Sequences);
        Assert.Equal(string.Empty, page.Unrecovered);

        // The id names every topic of the stream: "burst" at the last update, the broadcast topic
        // (empty name) never published to, each with its epoch.
        Assert.Matches($"^burst={Total}\\.{last!.Epoch},=0\\.[0-9a-z]{{10}}$", page.LastEventId);
        browser.AssertNoErrors();
    }

    /// <summary>What the page recorded (Playwright fills settable properties).</summary>
    private sealed class PageState
    {
        public int[] Sequences { get; set; } = [];

        public string LastEventId { get; set; } = string.Empty;

        public int Welcomes { get; set; }

        public string Unrecovered { get; set; } = string.Empty;
    }
}
