using System.Diagnostics;
using Bridge.Benchmarks.Load;
using Bridge.V1;
using Grpc.Core;
using Grpc.Net.Client;

namespace Bridge.Benchmarks.Publishers;

/// <summary>
/// A backend on the bridge: one gRPC <c>Publish</c> stream. Updates go out as <c>Update{topic, text}</c>;
/// the acks that come back are checked (in order, consecutive sequences, no error, the expected
/// number of recipients) and counted. Browser messages are handed to <see cref="ClientMessageReceived"/>.
/// </summary>
internal sealed class BridgePublisher : IPublisher
{
    private readonly GrpcChannel _channel;
    private readonly AsyncDuplexStreamingCall<PublishRequest, PublishResponse> _call;
    private readonly AckChecker _acks = new();
    private readonly TaskCompletionSource _listening = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly string _topic;
    private readonly int _payloadSize;
    private readonly Task _reader;
    private long _sent;

    private BridgePublisher(GrpcChannel channel, string topic, int payloadSize, Action<ClientMessage>? onClientMessage)
    {
        _channel = channel;
        _topic = topic;
        _payloadSize = payloadSize;
        ClientMessageReceived = onClientMessage;
        _call = new V1.Bridge.BridgeClient(channel).Publish();
        _reader = Task.Run(ReadAsync);
    }

    /// <summary>Recipients every ack must report; -1 to not check.</summary>
    public int ExpectedRecipients
    {
        get => _acks.ExpectedRecipients;
        set => _acks.ExpectedRecipients = value;
    }

    public long Acked => _acks.Acked;

    public long Sent => Volatile.Read(ref _sent);

    public Action<ClientMessage>? ClientMessageReceived { get; }

    /// <summary>Completes when the bridge has confirmed the stream's listen filter: it is registered.</summary>
    public Task Listening => _listening.Task;

    public IReadOnlyCollection<string> Errors => _acks.Errors.Items;

    public static BridgePublisher Connect(int grpcPort, string topic, int payloadSize, Action<ClientMessage>? onClientMessage = null)
    {
        var channel = GrpcChannel.ForAddress($"http://127.0.0.1:{grpcPort}", new GrpcChannelOptions
        {
            MaxReceiveMessageSize = 16 * 1024 * 1024,
        });
        return new BridgePublisher(channel, topic, payloadSize, onClientMessage);
    }

    public ValueTask PublishAsync(long index, CancellationToken cancellationToken)
    {
        var text = Payload.CreateString(_payloadSize, index, Stopwatch.GetTimestamp());
        Interlocked.Increment(ref _sent);
        return new ValueTask(_call.RequestStream.WriteAsync(new PublishRequest { Update = new Update { Topic = _topic, Text = text } }, cancellationToken));
    }


    /// <summary>Waits until at least <paramref name="count"/> acks have arrived, or an error.</summary>
    public Task<bool> WaitForAcksAsync(long count, TimeSpan timeout, CancellationToken cancellationToken) =>
        _acks.WaitForAcksAsync(count, timeout, () => _reader.IsCompleted, cancellationToken);

    public Task<bool> DrainAsync(TimeSpan timeout) => WaitForAcksAsync(Sent, timeout, CancellationToken.None);

    public async ValueTask DisposeAsync()
    {
        try
        {
            await _call.RequestStream.CompleteAsync().WaitAsync(TimeSpan.FromSeconds(5));
            await _reader.WaitAsync(TimeSpan.FromSeconds(5));
        }
        catch (Exception ex) when (ex is RpcException or TimeoutException or InvalidOperationException or IOException)
        {
            // The bridge is being torn down with the scenario; what mattered was checked before.
        }

        _call.Dispose();
        _channel.Dispose();
        _acks.Dispose();
    }

    private async Task ReadAsync()
    {
        try
        {
            while (await _call.ResponseStream.MoveNext(CancellationToken.None))
            {
                var response = _call.ResponseStream.Current;
                switch (response.KindCase)
                {
                    case PublishResponse.KindOneofCase.Ack:
                        _acks.OnAck(response.Ack);
                        break;
                    case PublishResponse.KindOneofCase.Listening:
                        _listening.TrySetResult();
                        break;
                    case PublishResponse.KindOneofCase.ClientMessage:
                        ClientMessageReceived?.Invoke(response.ClientMessage);
                        break;
                    default:
                        break;
                }
            }
        }
        catch (RpcException ex) when (ex.StatusCode == StatusCode.Cancelled)
        {
            // Disposed.
        }
        catch (RpcException ex)
        {
            _acks.Errors.Add($"the Publish stream failed: {ex.Status}");
        }

        _listening.TrySetException(new IOException("the Publish stream ended before it was listening"));
        _acks.Wake();
    }
}
