using System.Net.WebSockets;
using Bridge.Tests.Infrastructure;
using Grpc.Core;

namespace Bridge.Tests.Hosting;

public sealed class ShutdownTests
{
    [Fact]
    public async Task Shutdown_sends_queued_updates_then_1001_to_every_client_and_ends_streams_with_UNAVAILABLE()
    {
        var server = await BridgeServer.StartAsync();
        var clients = await Task.WhenAll(Enumerable.Range(0, 5).Select(_ => server.ConnectAsync()));
        var backend = await PublisherSession.OpenAsync(server.Client);
        await backend.PublishTextAsync(string.Empty, "last words");

        var stopping = server.StopAsync();

        foreach (var client in clients)
        {
            Assert.Equal("last words", await client.ReceiveTextAsync());
            var close = await client.ReceiveMessageAsync();
            Assert.True(close.IsClose);
            Assert.Equal(WebSocketCloseStatus.EndpointUnavailable, close.CloseStatus);
            Assert.Equal("going away", close.CloseReason);
            await client.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, string.Empty, CancellationToken.None);
        }

        var ended = await Assert.ThrowsAsync<RpcException>(() => backend.Completion.WaitAsync(TestTimeouts.Signal));
        Assert.True(ended.StatusCode == StatusCode.Unavailable, ended.ToString());
        Assert.Equal("shutting down", ended.Status.Detail);
        await stopping.WaitAsync(TestTimeouts.Signal);

        foreach (var client in clients)
        {
            client.Dispose();
        }

        await backend.DisposeAsync();
        await server.DisposeAsync();
    }
}
