using Bridge.Tests.Infrastructure;
using Grpc.Health.V1;
using Grpc.Reflection.V1Alpha;

namespace Bridge.Tests.Hosting;

public sealed class HealthAndDiscoveryTests
{
    [Fact]
    public async Task Liveness_and_readiness_answer_200_once_started()
    {
        await using var server = await BridgeServer.StartAsync();
        using var http = new HttpClient();

        using var live = await http.GetAsync(new Uri(server.HttpUri, "/healthz"));
        using var ready = await http.GetAsync(new Uri(server.HttpUri, "/readyz"));

        Assert.Equal(200, (int)live.StatusCode);
        Assert.Equal(200, (int)ready.StatusCode);
    }

    [Fact]
    public async Task The_gRPC_health_service_reports_serving()
    {
        await using var server = await BridgeServer.StartAsync();
        var health = new Health.HealthClient(server.Channel);

        var response = await health.CheckAsync(new HealthCheckRequest());

        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, response.Status);
    }

    [Fact]
    public async Task Server_reflection_lists_the_bridge_service()
    {
        await using var server = await BridgeServer.StartAsync();
        var reflection = new ServerReflection.ServerReflectionClient(server.Channel);

        using var call = reflection.ServerReflectionInfo();
        await call.RequestStream.WriteAsync(new ServerReflectionRequest { ListServices = string.Empty });
        await call.RequestStream.CompleteAsync();
        Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None));

        var services = call.ResponseStream.Current.ListServicesResponse.Service.Select(s => s.Name).ToList();

        // Let the reflection call finish before the channel goes away, so the server sees a clean end.
        Assert.False(await call.ResponseStream.MoveNext(CancellationToken.None));
        Assert.Contains("bridge.v1.Bridge", services);
        Assert.Contains("grpc.health.v1.Health", services);
    }

    [Fact]
    public async Task The_demo_page_is_served_at_the_root()
    {
        await using var server = await BridgeServer.StartAsync();
        using var http = new HttpClient();

        using var response = await http.GetAsync(server.HttpUri);

        Assert.Equal(200, (int)response.StatusCode);
        Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("/ws", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_JavaScript_client_is_served_as_a_module_and_revalidated_by_its_ETag()
    {
        await using var server = await BridgeServer.StartAsync();
        using var http = new HttpClient();
        var uri = new Uri(server.HttpUri, "/bridge-client.js");

        using var response = await http.GetAsync(uri);
        var script = await response.Content.ReadAsStringAsync();

        Assert.Equal(200, (int)response.StatusCode);
        Assert.Equal("text/javascript", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("utf-8", response.Content.Headers.ContentType?.CharSet);
        Assert.True(response.Headers.CacheControl?.NoCache);
        Assert.Contains("export function connect(", script, StringComparison.Ordinal);
        Assert.Equal(await File.ReadAllTextAsync(Path.Combine(Repository.Root, "clients", "js", "bridge-client.js")), script);

        var etag = response.Headers.ETag;
        Assert.NotNull(etag);
        using var revalidate = new HttpRequestMessage(HttpMethod.Get, uri);
        revalidate.Headers.IfNoneMatch.Add(etag);
        using var notModified = await http.SendAsync(revalidate);
        Assert.Equal(304, (int)notModified.StatusCode);
        Assert.Empty(await notModified.Content.ReadAsByteArrayAsync());
    }
}
