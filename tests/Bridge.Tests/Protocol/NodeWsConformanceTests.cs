using System.ComponentModel;
using System.Text.RegularExpressions;
using Bridge.Tests.Infrastructure;
using Bridge.V1;
using Kind = Bridge.V1.ClientEvent.Types.Kind;

namespace Bridge.Tests.Protocol;

/// <summary>
/// The bridge's framing as the Node <c>ws</c> client (an implementation independent of .NET) sees
/// it: <c>tests/node-ws/conformance.mjs</c> runs one case per process and reports on stdout; the
/// test waits for those lines and checks what the backend received. The script's dependency is
/// installed with <c>npm ci</c> from the committed lock file when it is missing (a fresh clone).
/// </summary>
public sealed partial class NodeWsConformanceTests
{
    private const string WsVersion = "8.23.0";

    private static readonly string Folder = Path.Combine(Repository.Root, "tests", "node-ws");
    private static readonly SemaphoreSlim InstallGate = new(1, 1);

    [Fact]
    public async Task Node_ws_a_ping_with_a_payload_gets_a_pong_with_the_same_payload()
    {
        await using var server = await BridgeServer.StartAsync();
        await using var node = await RunAsync(server, "ping");

        var ping = await node.WaitForLineAsync(PingLine(), TestTimeouts.Signal);
        var pong = await node.WaitForLineAsync(PongLine(), TestTimeouts.Signal);

        Assert.Equal(ping.Groups["hex"].Value, pong.Groups["hex"].Value);
        await ExpectCleanExitAsync(node, 1000);
    }

    [Fact]
    public async Task Node_ws_fragmented_sends_arrive_at_the_backend_as_whole_messages()
    {
        await using var server = await BridgeServer.StartAsync();
        await using var backend = await PublisherSession.OpenAsync(server.Client);
        await using var node = await RunAsync(server, "fragments");

        var text = await backend.NextMessageAsync();
        var binary = await backend.NextMessageAsync();

        Assert.Equal((ClientMessage.PayloadOneofCase.Text, "Hello from node € ws"), (text.PayloadCase, text.Text));
        Assert.Equal(ClientMessage.PayloadOneofCase.Binary, binary.PayloadCase);
        Assert.Equal(new byte[] { 0, 1, 2, 3, 4, 5, 6, 255 }, binary.Binary.ToByteArray());
        await ExpectCleanExitAsync(node, 1000);
    }

    [Fact]
    public async Task Node_ws_sees_the_server_pings_answers_them_and_stays_connected_beyond_the_ping_timeout()
    {
        // 10 pings and at least 2 s: twice the ping timeout, so a peer that did not answer would be gone.
        await using var server = await BridgeServer.StartAsync(new Dictionary<string, string>
        {
            ["PingInterval"] = "00:00:00.200",
            ["PingTimeout"] = "00:00:01",
        });
        await using var backend = await PublisherSession.OpenAsync(server.Client);
        await using var node = await RunAsync(server, "pings", "10", "2000");

        await node.WaitForLineAsync(PingsSeenLine(), TestTimeouts.Signal);
        Assert.Equal(1u, (await backend.PublishTextAsync(string.Empty, "after the pings")).Recipients);

        await node.WaitForLineAsync(new Regex("^message text after the pings$"), TestTimeouts.Signal);
        await ExpectCleanExitAsync(node, 1000);
    }

    [Fact]
    public async Task Node_ws_a_close_with_code_4001_is_echoed_with_4001()
    {
        await using var server = await BridgeServer.StartAsync();
        await using var backend = await PublisherSession.OpenAsync(server.Client);
        await using var node = await RunAsync(server, "close", "4001", "node bye");
        var id = (await backend.WaitForEventAsync(Kind.Connected)).ConnectionId;

        await ExpectCleanExitAsync(node, 4001);
        await backend.WaitForEventAsync(Kind.Disconnected, id);
    }

    [Fact]
    public async Task Node_ws_a_message_over_the_limit_is_closed_with_1009()
    {
        await using var server = await BridgeServer.StartAsync(new Dictionary<string, string> { ["MaxClientMessageBytes"] = "1000" });
        await using var backend = await PublisherSession.OpenAsync(server.Client);
        await using var node = await RunAsync(server, "too-big", "1001");
        var id = (await backend.WaitForEventAsync(Kind.Connected)).ConnectionId;

        await ExpectCleanExitAsync(node, 1009, "message too big");
        await backend.WaitForEventAsync(Kind.Disconnected, id);
        Assert.False(backend.Messages.Reader.TryRead(out var unexpected), $"the backend received the oversized message: {unexpected}");
    }

    /// <summary>Starts the script on <c>/ws</c> of <paramref name="server"/> and waits for its "open" line.</summary>
    private static async Task<ChildProcess> RunAsync(BridgeServer server, params string[] arguments)
    {
        await EnsureWsInstalledAsync();
        ChildProcess node;
        try
        {
            node = ChildProcess.Start("node", [Path.Combine(Folder, "conformance.mjs"), server.WebSocketUri().ToString(), .. arguments], Folder, new Dictionary<string, string?>());
        }
        catch (Win32Exception ex)
        {
            Assert.Fail($"Node.js (20 or later) is needed to run the Node ws conformance tests: install it (e.g. apt-get install -y nodejs npm). {ex.Message}");
            throw;
        }

        try
        {
            await node.WaitForLineAsync(new Regex("^open$"), TestTimeouts.Signal);
            return node;
        }
        catch
        {
            await node.DisposeAsync();
            throw;
        }
    }

    /// <summary>Expects the script to report a close event with <paramref name="code"/> (and <paramref name="reason"/> when given) and exit with 0.</summary>
    private static async Task ExpectCleanExitAsync(ChildProcess node, int code, string? reason = null)
    {
        var close = await node.WaitForLineAsync(CloseLine(), TestTimeouts.Signal);
        Assert.True(
            close.Groups["code"].Value == code.ToString(System.Globalization.CultureInfo.InvariantCulture) && (reason is null || close.Groups["reason"].Value == reason),
            $"expected ws to report a close event with code {code}{(reason is null ? string.Empty : $" and reason \"{reason}\"")}; the script printed:\n{node.Output}");
        var exitCode = await node.WaitForExitAsync(TestTimeouts.Signal);
        Assert.True(exitCode == 0, $"`{node.Command}` exited with {exitCode}:\n{node.Output}");
    }

    /// <summary>Installs <c>ws</c> from the lock file with <c>npm ci</c> unless the right version is already there.</summary>
    private static async Task EnsureWsInstalledAsync()
    {
        await InstallGate.WaitAsync();
        try
        {
            var installed = Path.Combine(Folder, "node_modules", "ws", "package.json");
            if (File.Exists(installed) && (await File.ReadAllTextAsync(installed)).Contains($"\"version\": \"{WsVersion}\"", StringComparison.Ordinal))
            {
                return;
            }

            (int ExitCode, string Output) run;
            try
            {
                run = await ChildProcess.RunAsync("npm", ["ci", "--no-audit", "--no-fund"], Folder, new Dictionary<string, string?>(), TimeSpan.FromMinutes(3));
            }
            catch (Win32Exception ex)
            {
                Assert.Fail($"npm is needed to install the Node ws client for the conformance tests: install Node.js 20 or later with npm (e.g. apt-get install -y nodejs npm). {ex.Message}");
                throw;
            }

            Assert.True(run.ExitCode == 0, $"npm ci in {Folder} failed with {run.ExitCode}:\n{run.Output}");
        }
        finally
        {
            InstallGate.Release();
        }
    }

    [GeneratedRegex("^ping (?<hex>[0-9a-f]+)$")]
    private static partial Regex PingLine();

    [GeneratedRegex("^pong (?<hex>[0-9a-f]*)$")]
    private static partial Regex PongLine();

    [GeneratedRegex("^close (?<code>[0-9]+) (?<reason>.*)$")]
    private static partial Regex CloseLine();

    [GeneratedRegex("^pings-seen ")]
    private static partial Regex PingsSeenLine();
}
