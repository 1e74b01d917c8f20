using System.Net.WebSockets;
using Bridge.Diagnostics;
using Bridge.Tests.Infrastructure;
using Bridge.V1;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;

namespace Bridge.Tests.Connections;

public sealed class SlowConsumerTests
{
    private const int Updates = 300;

    [Fact]
    public async Task A_client_that_stops_reading_is_closed_with_1008_while_20_others_and_the_publisher_keep_going()
    {
        await using var server = await BridgeServer.StartAsync(new Dictionary<string, string>
        {
            ["SendQueueLength"] = "8",
            ["CloseTimeout"] = "00:00:30",
        });
        using var slowConsumers = new MetricCollector<long>(server.Services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>(), BridgeMetrics.MeterName, "bridge.connections.slow_consumer");
        var readers = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => server.ConnectAsync()));
        using var stalled = await ConnectWithTinyReceiveBufferAsync(server);
        await using var backend = await PublisherSession.OpenAsync(server.Client);

        // 300 × 32 KiB is far more than the kernel's socket buffers and the 8-frame queue can hold for
        // the stalled client. The others read each update before the next is published, as a
        // healthy client keeps up; the publisher is never held up by the stalled one.
        var payload = new string('p', 32 * 1024);
        var acks = new List<Ack>();
        for (var i = 0; i < Updates; i++)
        {
            acks.Add(await backend.PublishAsync(new Update { Text = $"{i:D5}{payload}" }));
            foreach (var reader in readers)
            {
                Assert.Equal($"{i:D5}", (await reader.ReceiveTextAsync())[..5]);
            }
        }

        Assert.Equal(Enumerable.Range(1, Updates).Select(i => (ulong)i), acks.Select(a => a.Sequence));
        Assert.Equal(21u, acks[0].Recipients);
        Assert.Equal(20u, acks[^1].Recipients);

        // The stalled client resumes reading within the close timeout: it finds what was already sent, then the 1008.
        var close = await stalled.ReceiveCloseAsync();
        Assert.Equal(WebSocketCloseStatus.PolicyViolation, close.CloseStatus);
        Assert.Equal("slow consumer", close.CloseReason);
        Assert.Equal(1, slowConsumers.GetMeasurementSnapshot().EvaluateAsCounter());

        foreach (var reader in readers)
        {
            reader.Dispose();
        }
    }

    /// <summary>A client whose kernel receive buffer is fixed small, so the server's queue, not the kernel, fills up.</summary>
    private static async Task<ClientWebSocket> ConnectWithTinyReceiveBufferAsync(BridgeServer server)
    {
        var handler = new SocketsHttpHandler
        {
            ConnectCallback = async (context, cancellationToken) =>
            {
                var socket = new System.Net.Sockets.Socket(System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp) { ReceiveBufferSize = 8 * 1024 };
                await socket.ConnectAsync(context.DnsEndPoint, cancellationToken);
                return new System.Net.Sockets.NetworkStream(socket, ownsSocket: true);
            },
        };
        var client = new ClientWebSocket();
        await client.ConnectAsync(server.WebSocketUri(), new HttpMessageInvoker(handler), CancellationToken.None).WaitAsync(TestTimeouts.Signal);
        return client;
    }
}
