using System.Threading.Channels;
using Bridge.V1;
using Grpc.Core;

namespace Bridge.Tests.Infrastructure;

/// <summary>
/// A backend's <c>Publish</c> stream as a test drives it: sends requests and sorts every response
/// by kind into its own queue, so a test awaits exactly the signal it needs.
/// </summary>
internal sealed class PublisherSession : IAsyncDisposable
{
    private readonly AsyncDuplexStreamingCall<PublishRequest, PublishResponse> _call;
    private readonly Task _reader;
    private readonly Channel<PublishResponse> _all = Channel.CreateUnbounded<PublishResponse>();

    private PublisherSession(AsyncDuplexStreamingCall<PublishRequest, PublishResponse> call, bool readResponses)
    {
        _call = call;
        _reader = readResponses ? Task.Run(ReadAsync) : Task.CompletedTask;
    }

    public Channel<Ack> Acks { get; } = Channel.CreateUnbounded<Ack>();

    public Channel<ClientMessage> Messages { get; } = Channel.CreateUnbounded<ClientMessage>();

    public Channel<ClientEvent> Events { get; } = Channel.CreateUnbounded<ClientEvent>();

    public Channel<Listening> Listenings { get; } = Channel.CreateUnbounded<Listening>();

    /// <summary>Every response in arrival order.</summary>
    public ChannelReader<PublishResponse> All => _all.Reader;

    /// <summary>The call's final status, once the reader has seen the end.</summary>
    public Task Completion => _reader;

    public AsyncDuplexStreamingCall<PublishRequest, PublishResponse> Call => _call;

    /// <summary>Opens a stream and waits for the bridge's opening <c>Listening</c>.</summary>
    public static async Task<PublisherSession> OpenAsync(V1.Bridge.BridgeClient client)
    {
        var session = new PublisherSession(client.Publish(), readResponses: true);
        var listening = await session.Listenings.Reader.ReadAsync().AsTask().WaitAsync(TestTimeouts.Signal);
        Assert.Empty(listening.Topics);
        return session;
    }

    /// <summary>Opens a stream whose responses nobody reads (a slow backend).</summary>
    public static PublisherSession OpenUnread(V1.Bridge.BridgeClient client) => new(client.Publish(), readResponses: false);

    public Task SendAsync(PublishRequest request) => _call.RequestStream.WriteAsync(request);

    public async Task<Ack> PublishAsync(Update update)
    {
        await SendAsync(new PublishRequest { Update = update });
        return await NextAckAsync();
    }

    public Task<Ack> PublishTextAsync(string topic, string text, string id = "") =>
        PublishAsync(new Update { Topic = topic, Text = text, Id = id });

    public async Task<Listening> ListenAsync(params string[] topics)
    {
        await SendAsync(new PublishRequest { Listen = new Listen { Topics = { topics } } });
        return await Listenings.Reader.ReadAsync().AsTask().WaitAsync(TestTimeouts.Signal);
    }

    public Task<Ack> NextAckAsync() => Acks.Reader.ReadAsync().AsTask().WaitAsync(TestTimeouts.Signal);

    public Task<ClientMessage> NextMessageAsync() => Messages.Reader.ReadAsync().AsTask().WaitAsync(TestTimeouts.Signal);

    public Task<ClientEvent> NextEventAsync() => Events.Reader.ReadAsync().AsTask().WaitAsync(TestTimeouts.Signal);

    /// <summary>Waits for the event of <paramref name="kind"/> for <paramref name="connectionId"/>, skipping others.</summary>
    public async Task<ClientEvent> WaitForEventAsync(ClientEvent.Types.Kind kind, string? connectionId = null)
    {
        while (true)
        {
            var e = await NextEventAsync();
            if (e.Kind == kind && (connectionId is null || e.ConnectionId == connectionId))
            {
                return e;
            }
        }
    }

    public async Task AssertNoMessageAsync()
    {
        await Task.Delay(TestTimeouts.Absence);
        Assert.False(Messages.Reader.TryRead(out var unexpected), $"unexpected message: {unexpected}");
    }

    public Task CompleteAsync() => _call.RequestStream.CompleteAsync();

    public async ValueTask DisposeAsync()
    {
        _call.Dispose();
        try
        {
            await _reader.WaitAsync(TestTimeouts.Signal);
        }
        catch (Exception ex) when (ex is RpcException or ObjectDisposedException or OperationCanceledException)
        {
            // Disposing cancels the call; the reader sees that as its end, in one of these forms.
        }
    }

    private async Task ReadAsync()
    {
        try
        {
            await foreach (var response in _call.ResponseStream.ReadAllAsync())
            {
                await _all.Writer.WriteAsync(response);
                switch (response.KindCase)
                {
                    case PublishResponse.KindOneofCase.Ack:
                        await Acks.Writer.WriteAsync(response.Ack);
                        break;
                    case PublishResponse.KindOneofCase.ClientMessage:
                        await Messages.Writer.WriteAsync(response.ClientMessage);
                        break;
                    case PublishResponse.KindOneofCase.ClientEvent:
                        await Events.Writer.WriteAsync(response.ClientEvent);
                        break;
                    case PublishResponse.KindOneofCase.Listening:
                        await Listenings.Writer.WriteAsync(response.Listening);
                        break;
                }
            }
        }
        finally
        {
            _all.Writer.TryComplete();
            Acks.Writer.TryComplete();
            Messages.Writer.TryComplete();
            Events.Writer.TryComplete();
            Listenings.Writer.TryComplete();
        }
    }
}
