using Bridge.Configuration;
using Bridge.Connections;
using Bridge.Topics;
using Bridge.V1;
using Google.Protobuf;
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
    PublisherShutdown shutdown,
    IOptions<BridgeOptions> options,
    TimeProvider time,
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
        using var tracked = shutdown.Track();
        using var stream = publishers.Create(context.Peer);
        var present = connections.SnapshotWhile(() => publishers.Add(stream));
        Log.Opened(logger, stream.Id, stream.Peer, present.Length);

        var opening = new List<PublishResponse>(present.Length + 1) { PublisherStream.ListeningResponse(TopicFilter.All) };
        opening.AddRange(present.Select(c => PublisherRegistry.EventResponse(c, ClientEvent.Types.Kind.Connected)));
        using var writing = CancellationTokenSource.CreateLinkedTokenSource(call);
        var writer = stream.RunWriterAsync(responseStream, opening, writing.Token);

        // Shutdown stops the reading (and any wait for an ack credit), not the writing: acks still go out.
        using var reading = CancellationTokenSource.CreateLinkedTokenSource(call, shutdown.Stopping);
        RpcException? failure = null;
        try
        {
            await ReadRequestsAsync(stream, requestStream, reading.Token);
        }
        catch (OperationCanceledException) when (reading.IsCancellationRequested)
        {
            // Shutdown stopped the reading, or the backend cancelled the call.
        }
        catch (RpcException ex)
        {
            // The transport ended the call (e.g. a message over Bridge:GrpcMaxReceiveMessageBytes).
            failure = ex;
        }
        catch (InvalidProtocolBufferException ex)
        {
            failure = new RpcException(new Status(StatusCode.InvalidArgument, "malformed request: " + ex.Message));
        }
        catch (IOException)
        {
            // The backend reset the stream mid-read (malformed protobuf, also an IOException, is caught above); the call's token may not have fired yet.
        }
        finally
        {
            publishers.Remove(stream);
            stream.Complete();
        }

        // Decided now, before draining: it is shutdown that ended the reading, whatever happens to the call meanwhile.
        var shuttingDown = shutdown.IsStopping && !call.IsCancellationRequested;

        // Every update received was acked into the outbox; let the writer deliver those acks.
        await DrainAsync(writer, writing);
        if (failure is not null)
        {
            Log.EndedByTransport(logger, stream.Id, failure.StatusCode, failure.Status.Detail);
            throw failure;
        }

        if (shuttingDown)
        {
            Log.Closed(logger, stream.Id, "shutting down", stream.Dropped);
            throw new RpcException(new Status(StatusCode.Unavailable, "shutting down"));
        }

        Log.Closed(logger, stream.Id, call.IsCancellationRequested ? "cancelled by the backend" : "completed by the backend", stream.Dropped);
    }

    /// <summary>
    /// Waits for the writer to send what is queued: as long as the backend reads, unless the bridge
    /// is shutting down, in which case at most <c>Bridge:DrainTimeout</c>; then stops it.
    /// </summary>
    private async Task DrainAsync(Task writer, CancellationTokenSource writing)
    {
        await writer.WaitAsync(shutdown.Stopping).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        if (!writer.IsCompleted)
        {
            await writer.WaitAsync(options.Value.DrainTimeout, time).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }

        if (!writer.IsCompleted)
        {
            await writing.CancelAsync();
        }

        await writer;
    }

    private async Task ReadRequestsAsync(PublisherStream stream, IAsyncStreamReader<PublishRequest> requests, CancellationToken cancellationToken)
    {
        while (await requests.MoveNext(cancellationToken))
        {
            var request = requests.Current;
            switch (request.KindCase)
            {
                case PublishRequest.KindOneofCase.Update:
                    var ack = await publisher.PublishAsync(request.Update, CancellationToken.None);
                    await stream.EnqueueAckAsync(new PublishResponse { Ack = ack }, cancellationToken);
                    break;

                case PublishRequest.KindOneofCase.Listen:
                    if (ValidateListen(request.Listen) is { } error)
                    {
                        await stream.EnqueueAckAsync(new PublishResponse { Ack = new Ack { Error = error } }, cancellationToken);
                        break;
                    }

                    await stream.ListenAsync(new TopicFilter(request.Listen.Topics), cancellationToken);
                    break;

                default:
                    await stream.EnqueueAckAsync(new PublishResponse { Ack = new Ack { Error = NoKindError } }, cancellationToken);
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

        [LoggerMessage(EventId = 202, Level = LogLevel.Information, Message = "Publisher stream {StreamId} ended with {StatusCode}: {Detail}")]
        public static partial void EndedByTransport(ILogger logger, string streamId, StatusCode statusCode, string detail);
    }
}
