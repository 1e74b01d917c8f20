using Bridge.Configuration;
using Bridge.Connections;
using Bridge.Topics;
using Bridge.V1;
using Grpc.Core;
using Microsoft.Extensions.Options;

namespace Bridge.Publishing;

/// <summary>
/// The gRPC service <c>bridge.v1.Bridge</c>: publishers' streams and single updates.
/// </summary>
internal sealed partial class BridgeService(
    UpdatePublisher publisher,
    PublisherRegistry publishers,
    ConnectionRegistry connections,
    IHostApplicationLifetime lifetime,
    IOptions<BridgeOptions> options,
    ILogger<BridgeService> logger) : V1.Bridge.BridgeBase
{
    private const string NoKindError = "request has no kind: set update or listen";

    public override async Task<Ack> PublishOne(Update request, ServerCallContext context) =>
        await publisher.PublishAsync(request, context.CancellationToken);

    public override async Task Publish(
        IAsyncStreamReader<PublishRequest> requestStream,
        IServerStreamWriter<PublishResponse> responseStream,
        ServerCallContext context)
    {
        var call = context.CancellationToken;
        using var stream = publishers.Create(context.Peer);
        var present = connections.SnapshotWhile(() => publishers.Add(stream));
        Log.Opened(logger, stream.Id, stream.Peer, present.Length);

        var opening = new List<PublishResponse>(present.Length + 1) { PublisherStream.ListeningResponse(TopicFilter.All) };
        opening.AddRange(present.Select(c => PublisherRegistry.EventResponse(c, ClientEvent.Types.Kind.Connected)));
        var writer = stream.RunWriterAsync(responseStream, opening, call);

        using var reading = CancellationTokenSource.CreateLinkedTokenSource(call, lifetime.ApplicationStopping);
        try
        {
            await ReadRequestsAsync(stream, requestStream, reading.Token, call);
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException && reading.IsCancellationRequested)
        {
            // Shutdown stopped the reading, or the backend went away mid-read.
        }
        catch (RpcException ex)
        {
            // The transport ended the call (e.g. a message over Bridge:GrpcMaxReceiveMessageBytes): the status goes to the backend as is.
            Log.EndedByTransport(logger, stream.Id, ex.StatusCode, ex.Status.Detail);
            throw;
        }
        finally
        {
            publishers.Remove(stream);
            stream.Complete();
        }

        var stopping = lifetime.ApplicationStopping.IsCancellationRequested && !call.IsCancellationRequested;
        if (stopping)
        {
            // Acks for every update already received still go out, within the drain timeout.
            await writer.WaitAsync(options.Value.DrainTimeout, CancellationToken.None).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            Log.Closed(logger, stream.Id, "shutting down", stream.Dropped);
            throw new RpcException(new Status(StatusCode.Unavailable, "shutting down"));
        }

        await writer;
        Log.Closed(logger, stream.Id, call.IsCancellationRequested ? "cancelled by the backend" : "completed by the backend", stream.Dropped);
    }

    private async Task ReadRequestsAsync(
        PublisherStream stream,
        IAsyncStreamReader<PublishRequest> requests,
        CancellationToken readToken,
        CancellationToken callToken)
    {
        while (await requests.MoveNext(readToken))
        {
            var request = requests.Current;
            switch (request.KindCase)
            {
                case PublishRequest.KindOneofCase.Update:
                    var ack = await publisher.PublishAsync(request.Update, callToken);
                    await stream.EnqueueControlAsync(new PublishResponse { Ack = ack }, callToken);
                    break;

                case PublishRequest.KindOneofCase.Listen:
                    if (ValidateListen(request.Listen) is { } error)
                    {
                        await stream.EnqueueControlAsync(new PublishResponse { Ack = new Ack { Error = error } }, callToken);
                        break;
                    }

                    await stream.ListenAsync(new TopicFilter(request.Listen.Topics), callToken);
                    break;

                default:
                    await stream.EnqueueControlAsync(new PublishResponse { Ack = new Ack { Error = NoKindError } }, callToken);
                    break;
            }
        }
    }

    private static string? ValidateListen(Listen listen)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var topic in listen.Topics)
        {
            if (!TopicName.IsValidOrBroadcast(topic, out var error))
            {
                return "invalid listen: " + error;
            }

            if (!seen.Add(topic))
            {
                return $"invalid listen: topic '{topic}' is repeated";
            }
        }

        return null;
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 200, Level = LogLevel.Information, Message = "Publisher stream {StreamId} opened from {Peer}; {ConnectionCount} connection(s) present.")]
        public static partial void Opened(ILogger logger, string streamId, string peer, int connectionCount);

        [LoggerMessage(EventId = 201, Level = LogLevel.Information, Message = "Publisher stream {StreamId} ended: {Reason}; {Dropped} browser message(s)/event(s) were dropped for it.")]
        public static partial void Closed(ILogger logger, string streamId, string reason, long dropped);

        [LoggerMessage(EventId = 202, Level = LogLevel.Information, Message = "Publisher stream {StreamId} ended by the transport with {StatusCode}: {Detail}")]
        public static partial void EndedByTransport(ILogger logger, string streamId, StatusCode statusCode, string detail);
    }
}
