using System.Globalization;
using System.Net;
using System.Net.WebSockets;
using Bridge.Tests.Infrastructure;
using Bridge.V1;
using Grpc.Net.Client;

namespace Bridge.Tests.Hosting;

/// <summary>
/// The Dockerfile at the repository root, checked without a Docker engine: its build stage is
/// replayed to publish the bridge, and the result is started the way the image starts it
/// (see <see cref="DockerfileFixture"/>).
/// </summary>
public sealed class DockerfileTests(DockerfileFixture fixture) : IClassFixture<DockerfileFixture>
{
    [Fact]
    public void Runtime_stage_exposes_the_ports_its_ENV_gives_the_two_listeners()
    {
        var exposed = fixture.Dockerfile.Runtime.ExposedPorts();
        var environment = fixture.ImageEnvironment;

        Assert.Equal([8080, 50051], exposed.Order());
        Assert.Equal(8080, new Uri(environment["Bridge__HttpUrl"]).Port);
        Assert.Equal(50051, new Uri(environment["Bridge__GrpcUrl"]).Port);
        // Both listen on every interface of the container, not only its loopback.
        Assert.Equal("0.0.0.0", new Uri(environment["Bridge__HttpUrl"]).Host);
        Assert.Equal("0.0.0.0", new Uri(environment["Bridge__GrpcUrl"]).Host);
        // The base image's default port would make Kestrel warn that it overrides it.
        Assert.Equal(string.Empty, environment["ASPNETCORE_HTTP_PORTS"]);
    }

    [Fact]
    public void Runtime_stage_runs_as_a_numeric_non_root_user()
    {
        var user = fixture.Dockerfile.Runtime.Last("USER");

        Assert.NotNull(user);
        var uid = Dockerfile.Substitute(user.Arguments.Split(':')[0], fixture.ImageEnvironment);
        // Numeric, so the kubelet can verify runAsNonRoot without reading /etc/passwd.
        Assert.True(int.TryParse(uid, NumberStyles.None, CultureInfo.InvariantCulture, out var id) && id != 0, $"USER {user.Arguments} resolves to '{uid}'");
    }

    [Fact]
    public void Image_runs_the_bridge_in_exec_form_and_checks_its_health_with_it()
    {
        var (options, command) = fixture.Healthcheck();

        Assert.Equal(["dotnet", "Bridge.dll"], fixture.Dockerfile.Runtime.ExecForm("ENTRYPOINT"));
        Assert.Null(fixture.Dockerfile.Runtime.Last("CMD"));
        Assert.Equal(["dotnet", "Bridge.dll", "healthcheck"], command);
        Assert.Equal("10s", options["interval"]);
        Assert.Equal("3s", options["timeout"]);
        Assert.Equal("3", options["retries"]);
        Assert.True(options.ContainsKey("start-period"));
    }

    [Fact]
    public void Build_publishes_in_Release_on_one_RUN_line_and_the_context_leaves_out_host_build_output()
    {
        var publishes = fixture.Dockerfile.Stages.SelectMany(s => s.All("RUN"))
            .Where(r => r.Arguments.StartsWith("dotnet publish ", StringComparison.Ordinal))
            .ToList();
        var ignored = File.ReadAllLines(Path.Combine(fixture.RepositoryRoot, ".dockerignore"))
            .Select(l => l.Trim().TrimEnd('/'))
            .ToHashSet(StringComparer.Ordinal);

        var publish = Assert.Single(publishes);
        Assert.Contains(" -c Release ", publish.Arguments + " ", StringComparison.Ordinal);
        Assert.Contains("**/bin", ignored);
        Assert.Contains("**/obj", ignored);
    }

    [Fact]
    public async Task Container_starts_answers_health_and_readiness_and_its_HEALTHCHECK_passes()
    {
        await using var container = await fixture.StartContainerAsync();
        using var http = new HttpClient { BaseAddress = container.HttpUri, Timeout = TestTimeouts.Signal };

        var healthz = await http.GetAsync(new Uri("/healthz", UriKind.Relative));
        var readyz = await http.GetAsync(new Uri("/readyz", UriKind.Relative));
        var (exitCode, output) = await fixture.RunHealthcheckAsync(container.HttpUri.Port);

        Assert.True(healthz.StatusCode == HttpStatusCode.OK, $"/healthz answered {healthz.StatusCode}. Bridge output:\n{container.Process.Output}");
        Assert.True(readyz.StatusCode == HttpStatusCode.OK, $"/readyz answered {readyz.StatusCode}. Bridge output:\n{container.Process.Output}");
        Assert.True(exitCode == 0, $"HEALTHCHECK exited with {exitCode}:\n{output}\nBridge output:\n{container.Process.Output}");
        Assert.DoesNotContain("Overriding address", container.Process.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Container_delivers_an_update_published_over_gRPC_to_a_WebSocket_subscriber()
    {
        await using var container = await fixture.StartContainerAsync();
        using var socket = new ClientWebSocket();
        await socket.ConnectAsync(new Uri($"ws://{container.HttpUri.Authority}/ws?topic=t"), CancellationToken.None).WaitAsync(TestTimeouts.Signal);
        using var channel = GrpcChannel.ForAddress(container.GrpcUri);
        var client = new V1.Bridge.BridgeClient(channel);

        var ack = await client.PublishOneAsync(new Update { Topic = "t", Text = "hi" }, deadline: DateTime.UtcNow + TestTimeouts.Signal);
        var received = await socket.ReceiveMessageAsync();

        Assert.Equal(string.Empty, ack.Error);
        Assert.True(ack.Recipients == 1, $"ack {ack}. Bridge output:\n{container.Process.Output}");
        Assert.Equal(WebSocketMessageType.Text, received.Type);
        Assert.Equal("hi", received.Text);
    }

    [Fact]
    public async Task SIGTERM_closes_browsers_with_1001_and_the_container_exits_0()
    {
        await using var container = await fixture.StartContainerAsync();
        using var socket = new ClientWebSocket();
        await socket.ConnectAsync(new Uri($"ws://{container.HttpUri.Authority}/ws"), CancellationToken.None).WaitAsync(TestTimeouts.Signal);

        await container.Process.TerminateAsync();
        var close = await socket.ReceiveCloseAsync();
        await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, string.Empty, CancellationToken.None).WaitAsync(TestTimeouts.Signal);
        // Below Bridge:DrainTimeout (10 s): the browser answered the close, so nothing is left to wait for.
        var exitCode = await container.Process.WaitForExitAsync(TimeSpan.FromSeconds(8));
        var (healthcheckExitCode, healthcheckOutput) = await fixture.RunHealthcheckAsync(container.HttpUri.Port);

        Assert.Equal(WebSocketCloseStatus.EndpointUnavailable, close.CloseStatus);
        Assert.True(exitCode == 0, $"exit code {exitCode}. Bridge output:\n{container.Process.Output}");
        Assert.True(healthcheckExitCode != 0, $"HEALTHCHECK passed with the bridge stopped:\n{healthcheckOutput}");
    }
}
