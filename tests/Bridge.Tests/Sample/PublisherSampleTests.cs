using System.Diagnostics;
using System.Net.WebSockets;
using Bridge.Tests.Infrastructure;

namespace Bridge.Tests.Sample;

/// <summary>
/// Publisher.Sample end to end: the real bridge in this process, the built sample as its own process
/// talking gRPC to it, and real WebSocket clients on <c>/ws?topic=list</c> as the browser tabs.
/// </summary>
public sealed class PublisherSampleTests : IAsyncLifetime
{
    private const string Topic = "list";

    private readonly List<ClientWebSocket> _tabs = [];
    private BridgeServer? _bridge;
    private SampleProcess? _sample;

    private BridgeServer Server => _bridge ?? throw new InvalidOperationException("no bridge is running");

    private SampleProcess Sample => _sample ?? throw new InvalidOperationException("the sample was not started");

    public async Task InitializeAsync()
    {
        _bridge = await BridgeServer.StartAsync();
        _sample = SampleProcess.Start(_bridge.GrpcUri.ToString());
    }

    public async Task DisposeAsync()
    {
        foreach (var tab in _tabs)
        {
            tab.Abort();
            tab.Dispose();
        }

        // The sample goes first so the bridge's shutdown does not wait on its stream. xunit runs this
        // after a failed test too, so the sample process never outlives its test.
        try
        {
            if (_sample is not null)
            {
                await _sample.DisposeAsync();
            }
        }
        finally
        {
            if (_bridge is not null)
            {
                await _bridge.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task A_tab_that_connects_gets_the_current_list_as_its_first_frame()
    {
        var first = await OpenTabAsync();
        var initial = await ReceiveFrameAsync(first);
        Assert.True(initial.IsState, $"expected a list state first, got: {initial.Text}");
        Assert.Empty(initial.Items);

        await first.SendTextAsync(Add("eggs"));
        var current = await ReceiveStateAsync(first, s => s.Texts.Contains("eggs"));

        var late = await OpenTabAsync();
        var welcome = await ReceiveFrameAsync(late);
        Assert.True(welcome.IsState, $"expected a list state first, got: {welcome.Text}");
        Assert.Equal(current.Version, welcome.Version);
        Assert.Equal(current.Items, welcome.Items);
    }

    [Fact]
    public async Task An_edit_from_one_tab_reaches_every_tab_of_the_list_and_no_other_topic()
    {
        var alice = await OpenTabAsync();
        var bob = await OpenTabAsync();
        var elsewhere = await Server.ConnectAsync("news");
        _tabs.Add(elsewhere);
        var initial = await ReceiveStateAsync(alice);
        await ReceiveStateAsync(bob);

        await alice.SendTextAsync(Add("milk"));

        var seenByAlice = await ReceiveStateAsync(alice, s => s.Version > initial.Version);
        var seenByBob = await ReceiveStateAsync(bob, s => s.Version > initial.Version);
        Assert.Equal(initial.Version + 1, seenByAlice.Version);
        var milk = Assert.Single(seenByAlice.Items);
        Assert.Equal(("milk", false), (milk.Text, milk.Done));
        Assert.Equal(seenByAlice.Version, seenByBob.Version);
        Assert.Equal(seenByAlice.Items, seenByBob.Items);
        await elsewhere.AssertNothingReceivedAsync();
    }

    [Fact]
    public async Task Toggle_remove_and_clear_change_the_shared_list_one_version_at_a_time()
    {
        var tab = await OpenTabAsync();
        var state = await ReceiveStateAsync(tab);

        state = await EditAsync(tab, Add("milk"), state);
        state = await EditAsync(tab, Add("  bread  "), state);
        Assert.Equal(["milk", "bread"], state.Texts);
        Assert.NotEqual(state.Find("milk").Id, state.Find("bread").Id);

        state = await EditAsync(tab, Toggle(state.Find("milk").Id), state);
        Assert.True(state.Find("milk").Done);
        Assert.False(state.Find("bread").Done);

        state = await EditAsync(tab, Toggle(state.Find("milk").Id), state);
        Assert.False(state.Find("milk").Done);

        state = await EditAsync(tab, Remove(state.Find("bread").Id), state);
        Assert.Equal(["milk"], state.Texts);

        state = await EditAsync(tab, """{"op":"clear"}""", state);
        Assert.Empty(state.Items);
    }

    [Fact]
    public async Task Invalid_edits_get_an_error_reply_to_the_sender_only_and_change_nothing()
    {
        var alice = await OpenTabAsync();
        var bob = await OpenTabAsync();
        var initial = await ReceiveStateAsync(alice);
        await ReceiveStateAsync(bob);

        string[] invalid =
        [
            "not json",
            "[1,2]",
            """{"text":"no op"}""",
            """{"op":"fly"}""",
            """{"op":"add"}""",
            """{"op":"add","text":"   "}""",
            Add(new string('x', 201)),
            """{"op":"toggle","id":3}""",
            Toggle("404"),
            Remove("404"),
        ];
        foreach (var edit in invalid)
        {
            await alice.SendTextAsync(edit);
            var reply = await ReceiveErrorAsync(alice);
            Assert.False(string.IsNullOrWhiteSpace(reply.Message), $"error reply to {edit} has no message: {reply.Text}");
        }

        await alice.SendBinaryAsync([1, 2, 3]);
        await ReceiveErrorAsync(alice);

        // Bob's next change is the valid edit, one version on: nothing before it changed the list, no
        // error reached him (ReceiveStateAsync fails on any non-state frame), and the sample survived.
        await alice.SendTextAsync(Add("still works"));
        var next = await ReceiveStateAsync(bob, s => s.Version > initial.Version);
        Assert.Equal(initial.Version + 1, next.Version);
        Assert.Equal(["still works"], next.Texts);
    }

    [Fact]
    public async Task The_sample_reconnects_after_the_bridge_restarts_and_serves_its_list_again()
    {
        var before = await OpenTabAsync();
        await ReceiveStateAsync(before);
        await before.SendTextAsync(Add("kept across the restart"));
        var kept = await ReceiveStateAsync(before, s => s.Texts.Contains("kept across the restart"));

        // A tab that never answers the bridge's 1001 close would hold its shutdown for the drain timeout.
        before.Abort();
        var grpcPort = Server.GrpcUri.Port;
        var stopped = _bridge!;
        _bridge = null;
        await stopped.DisposeAsync();
        _bridge = await StartBridgeOnGrpcPortAsync(grpcPort);

        var after = await OpenTabAsync();
        var welcome = await ReceiveFrameAsync(after);
        Assert.True(welcome.IsState, $"expected a list state first, got: {welcome.Text}");
        Assert.Equal(kept.Version, welcome.Version);
        Assert.Equal(kept.Items, welcome.Items);

        await after.SendTextAsync(Add("after the restart"));
        var edited = await ReceiveStateAsync(after, s => s.Version > kept.Version);
        Assert.Equal(["kept across the restart", "after the restart"], edited.Texts);
    }

    [Fact]
    public async Task The_sample_refuses_to_start_with_a_bridge_address_that_is_not_a_url()
    {
        await using var misconfigured = SampleProcess.Start("not-a-url");

        var exitCode = await misconfigured.WaitForExitAsync();

        Assert.True(exitCode == 2, $"expected exit code 2. {misconfigured.Describe()}");
        Assert.Contains("Bridge must be the bridge's gRPC address", misconfigured.Describe(), StringComparison.Ordinal);
    }

    private static string Add(string text) => $$"""{"op":"add","text":"{{text}}"}""";

    private static string Toggle(string id) => $$"""{"op":"toggle","id":"{{id}}"}""";

    private static string Remove(string id) => $$"""{"op":"remove","id":"{{id}}"}""";

    /// <summary>
    /// A bridge on a fixed gRPC port, as a restarted bridge would be. Later command-line values win,
    /// so this overrides BridgeServer's port 0.
    /// </summary>
    private static Task<BridgeServer> StartBridgeOnGrpcPortAsync(int port) =>
        BridgeServer.StartAsync(new Dictionary<string, string> { ["GrpcUrl"] = $"http://127.0.0.1:{port}" });

    private async Task<ClientWebSocket> OpenTabAsync()
    {
        var tab = await Server.ConnectAsync(Topic);
        _tabs.Add(tab);
        return tab;
    }

    /// <summary>Sends one edit and returns the state it produced, checking it is exactly one version on.</summary>
    private async Task<ListFrame> EditAsync(WebSocket tab, string edit, ListFrame before)
    {
        await tab.SendTextAsync(edit);
        var after = await ReceiveStateAsync(tab, s => s.Version > before.Version);
        Assert.True(after.Version == before.Version + 1, $"{edit} moved the list from version {before.Version} to {after.Version}");
        return after;
    }

    /// <summary>
    /// Reads list states until one satisfies <paramref name="until"/> (any, when null). A repeat of a
    /// state is allowed; anything that is not a list state fails the test.
    /// </summary>
    private async Task<ListFrame> ReceiveStateAsync(WebSocket tab, Func<ListFrame, bool>? until = null)
    {
        var deadline = Stopwatch.StartNew();
        var seen = new List<string>();
        while (true)
        {
            var frame = await ReceiveFrameAsync(tab, TestTimeouts.Signal - deadline.Elapsed, seen);
            Assert.True(frame.IsState, $"expected only list states, got: {frame.Text}\n{Sample.Describe()}");
            if (until is null || until(frame))
            {
                return frame;
            }

            seen.Add(frame.Text);
        }
    }

    /// <summary>Reads until an error reply arrives, skipping list states.</summary>
    private async Task<ListFrame> ReceiveErrorAsync(WebSocket tab)
    {
        var deadline = Stopwatch.StartNew();
        var seen = new List<string>();
        while (true)
        {
            var frame = await ReceiveFrameAsync(tab, TestTimeouts.Signal - deadline.Elapsed, seen);
            if (frame.IsError)
            {
                return frame;
            }

            Assert.True(frame.IsState, $"expected an error reply or a list state, got: {frame.Text}\n{Sample.Describe()}");
            seen.Add(frame.Text);
        }
    }

    /// <summary>Receives one text frame; on a timeout, a close or a binary frame, fails with what the sample printed.</summary>
    private async Task<ListFrame> ReceiveFrameAsync(WebSocket tab, TimeSpan? timeout = null, IReadOnlyList<string>? seen = null)
    {
        var wait = timeout ?? TestTimeouts.Signal;
        ReceivedMessage message;
        try
        {
            message = await tab.ReceiveMessageAsync(wait > TimeSpan.Zero ? wait : TimeSpan.FromMilliseconds(1));
        }
        catch (Exception ex) when (ex is OperationCanceledException or WebSocketException)
        {
            var before = seen is { Count: > 0 } ? "\nframes before it:\n" + string.Join('\n', seen) : string.Empty;
            throw new TimeoutException($"no frame arrived within {wait.TotalSeconds:0.#} s ({ex.GetType().Name}).{before}\n{Sample.Describe()}", ex);
        }

        Assert.False(message.IsClose, $"the tab was closed: {message.CloseStatus} {message.CloseReason}\n{Sample.Describe()}");
        Assert.True(message.Type == WebSocketMessageType.Text, $"expected a text frame, got {message.Type}\n{Sample.Describe()}");
        return ListFrame.Parse(message.Text);
    }
}
