using Bridge.Tests.Infrastructure;
using Bridge.V1;
using Google.Protobuf;
using Grpc.Core;

namespace Bridge.Tests.Publishing;

public sealed class PublishStreamRobustnessTests
{
    [Fact]
    public async Task Nothing_outside_a_Listening_filter_arrives_after_it_even_while_browsers_keep_sending()
    {
        await using var server = await BridgeServer.StartAsync();
        await using var backend = await PublisherSession.OpenAsync(server.Client);
        var browsers = await Task.WhenAll(Enumerable.Range(0, 4).Select(i => server.ConnectAsync(i % 2 == 0 ? "a" : "b")));
        using var stop = new CancellationTokenSource();
        var senders = browsers.Select(b => Task.Run(async () =>
        {
            var sent = 0;
            while (!stop.IsCancellationRequested && sent++ < 20_000)
            {
                await b.SendTextAsync("x");
            }
        })).ToArray();

        for (var flip = 0; flip < 40; flip++)
        {
            await backend.SendAsync(new PublishRequest { Listen = new Listen { Topics = { flip % 2 == 0 ? "a" : "b" } } });
        }

        // Walk the responses in order: after each Listening, every message must match it.
        string? current = null;
        var listenings = 0;
        while (listenings < 40)
        {
            var response = await backend.All.ReadAsync().AsTask().WaitAsync(TestTimeouts.Signal);
            switch (response.KindCase)
            {
                case PublishResponse.KindOneofCase.Listening when response.Listening.Topics.Count == 1:
                    current = response.Listening.Topics[0];
                    listenings++;
                    break;
                case PublishResponse.KindOneofCase.ClientMessage when current is not null:
                    Assert.Equal(current, response.ClientMessage.Topic);
                    break;
            }
        }

        await stop.CancelAsync();
        await Task.WhenAll(senders).WaitAsync(TestTimeouts.Signal);
        foreach (var browser in browsers)
        {
            browser.Dispose();
        }
    }

    [Fact]
    public async Task When_the_transport_ends_the_call_every_update_received_before_is_still_acked()
    {
        await using var server = await BridgeServer.StartAsync(new Dictionary<string, string>
        {
            ["MaxUpdateBytes"] = "1000",
            ["GrpcMaxReceiveMessageBytes"] = "70000",
        });
        await using var backend = await PublisherSession.OpenAsync(server.Client);

        for (var i = 0; i < 500; i++)
        {
            await backend.SendAsync(new PublishRequest { Update = new Update { Topic = "t", Text = "m", Id = i.ToString() } });
        }

        try
        {
            await backend.SendAsync(new PublishRequest { Update = new Update { Topic = "t", Binary = ByteString.CopyFrom(new byte[100_000]) } });
        }
        catch (RpcException)
        {
            // The bridge may end the call while this large message is still being written.
        }

        var ended = await Assert.ThrowsAsync<RpcException>(() => backend.Completion.WaitAsync(TestTimeouts.Signal));
        Assert.Equal(StatusCode.ResourceExhausted, ended.StatusCode);
        var acks = new List<string>();
        while (backend.Acks.Reader.TryRead(out var ack))
        {
            acks.Add(ack.Id);
        }

        Assert.Equal(Enumerable.Range(0, 500).Select(i => i.ToString()), acks);
    }

    [Fact]
    public async Task A_malformed_request_ends_the_call_with_INVALID_ARGUMENT_and_logs_no_error()
    {
        await using var server = await BridgeServer.StartAsync();
        var raw = new Method<byte[], byte[]>(
            MethodType.DuplexStreaming, "bridge.v1.Bridge", "Publish",
            Marshallers.Create(static b => b, static b => b),
            Marshallers.Create(static b => b, static b => b));

        using var call = server.Channel.CreateCallInvoker().AsyncDuplexStreamingCall(raw, null, new CallOptions());
        await call.RequestStream.WriteAsync([0x0A, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F]); // field 1, length far beyond the data
        var error = await Assert.ThrowsAsync<RpcException>(async () =>
        {
            while (await call.ResponseStream.MoveNext(CancellationToken.None))
            {
            }
        });

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.StartsWith("malformed request", error.Status.Detail, StringComparison.Ordinal);
        // BridgeServer.DisposeAsync fails the test if the bridge logged an error.
    }
}
