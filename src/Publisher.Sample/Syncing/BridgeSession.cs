using Bridge.V1;
using Grpc.Core;
using Publisher.Sample.Lists;
using Publisher.Sample.Protocol;

namespace Publisher.Sample.Syncing;

/// <summary>
/// One <c>Publish</c> stream to the bridge, from opening to failure: listens to the list topic,
/// applies the edits browsers send, publishes each new state and welcomes new connections with it.
/// </summary>
/// <remarks>
/// Two loops: the reader handles every response at once and only records what to send in the
/// <see cref="Outbox"/>; the writer is the stream's one writer. When either ends the session ends.
/// </remarks>
internal sealed partial class BridgeSession(Bridge.V1.Bridge.BridgeClient client, SharedList list, Uri address, ILogger logger)
{
    // Update ids come back in their acks, so a rejected ack tells which kind of send failed.
    private const string StateUpdateId = "state";
    private const string WelcomeUpdateId = "welcome";
    private const string ReplyUpdateId = "reply";

    private readonly Outbox _outbox = new();
    private bool _connected;

    public async Task<SessionEnd> RunAsync(CancellationToken stoppingToken)
    {
        using var session = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        using var call = client.Publish(cancellationToken: session.Token);

        // Republish on every (re)connect, once the Listen is confirmed: browsers may have missed
        // changes while the stream was down, and a restarted bridge has no state of its own.
        _outbox.PublishState();
        var reading = ReadAsync(call.ResponseStream, session.Token);
        var writing = WriteAsync(call.RequestStream, session.Token);
        var first = await Task.WhenAny((Task)reading, writing);
        await session.CancelAsync();

        var writeFailure = await writing;
        var readEnd = await reading;
        return new SessionEnd(_connected, first == writing && writeFailure is not null ? writeFailure : readEnd);
    }

    /// <returns>Why the stream ended.</returns>
    private async Task<string> ReadAsync(IAsyncStreamReader<PublishResponse> responses, CancellationToken cancellationToken)
    {
        try
        {
            while (await responses.MoveNext(cancellationToken))
            {
                Handle(responses.Current);
            }

            return "the bridge ended the stream";
        }
        catch (RpcException ex)
        {
            return $"{ex.StatusCode} {ex.Status.Detail}";
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return "stopped";
        }
    }

    private void Handle(PublishResponse response)
    {
        switch (response.KindCase)
        {
            case PublishResponse.KindOneofCase.Listening:
                // The bridge first confirms its default (all topics); ours comes once our Listen applies.
                if (response.Listening.Topics.Count == 1 && response.Listening.Topics[0] == SharedList.Topic)
                {
                    _connected = true;
                    _outbox.Open();
                    Log.Connected(logger, address, SharedList.Topic);
                }

                break;

            case PublishResponse.KindOneofCase.ClientEvent:
                HandleEvent(response.ClientEvent);
                break;

            case PublishResponse.KindOneofCase.ClientMessage:
                HandleMessage(response.ClientMessage);
                break;

            case PublishResponse.KindOneofCase.Ack:
                HandleAck(response.Ack);
                break;
        }
    }

    private void HandleEvent(ClientEvent clientEvent)
    {
        // Until our Listen applies the stream hears about every connection, not only the list's.
        if (!clientEvent.Topics.Contains(SharedList.Topic))
        {
            return;
        }

        if (clientEvent.Kind == ClientEvent.Types.Kind.Connected)
        {
            _outbox.Welcome(clientEvent.ConnectionId);
        }
        else if (clientEvent.Kind == ClientEvent.Types.Kind.Disconnected)
        {
            _outbox.Forget(clientEvent.ConnectionId);
        }
    }

    private void HandleMessage(ClientMessage message)
    {
        if (message.Topic != SharedList.Topic)
        {
            return;
        }

        if (message.PayloadCase != ClientMessage.PayloadOneofCase.Text)
        {
            Reject(message.ConnectionId, "edits are JSON text messages, not binary");
            return;
        }

        if (!ListCodec.TryParseEdit(message.Text, out var edit, out var parseError))
        {
            Reject(message.ConnectionId, parseError);
            return;
        }

        var result = list.Apply(edit);
        switch (result.Outcome)
        {
            case EditOutcome.Changed:
                Log.Applied(logger, edit.Kind, message.ConnectionId, list.Current.Version);
                _outbox.PublishState();
                break;
            case EditOutcome.Rejected:
                Reject(message.ConnectionId, result.Error!);
                break;
        }
    }

    private void Reject(string connectionId, string reason)
    {
        Log.EditRejected(logger, connectionId, reason);
        if (!_outbox.TryReply(connectionId, ListCodec.Error(reason)))
        {
            Log.ReplyDropped(logger, connectionId, Outbox.MaxPendingReplies);
        }
    }

    private void HandleAck(Ack ack)
    {
        if (ack.Error.Length == 0)
        {
            if (ack.Id == StateUpdateId)
            {
                Log.Published(logger, ack.Sequence, ack.Recipients);
            }

            return;
        }

        if (ack.Id is WelcomeUpdateId or ReplyUpdateId)
        {
            // The browser left between its event or message and our answer: expected now and then.
            Log.DirectSendRejected(logger, ack.Id, ack.Error);
        }
        else
        {
            // Only our Listen goes without an id.
            Log.UpdateRejected(logger, ack.Id.Length == 0 ? "listen" : ack.Id, ack.Error);
        }
    }

    /// <returns>Why writing stopped, or null when the session was ended from outside.</returns>
    private async Task<string?> WriteAsync(IClientStreamWriter<PublishRequest> requests, CancellationToken cancellationToken)
    {
        try
        {
            await requests.WriteAsync(new PublishRequest { Listen = new Listen { Topics = { SharedList.Topic } } }, cancellationToken);
            while (true)
            {
                var batch = await _outbox.TakeAsync(cancellationToken);
                foreach (var update in Updates(batch))
                {
                    await requests.WriteAsync(new PublishRequest { Update = update }, cancellationToken);
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return null;
        }
        catch (Exception ex) when (ex is RpcException or IOException or InvalidOperationException)
        {
            // The call is over (InvalidOperationException: it already completed); nothing more can be sent.
            return "writing failed: " + ex.Message;
        }
    }

    private IEnumerable<Update> Updates(OutboxBatch batch)
    {
        // Serialized at most once per pass and shared by the publication or every welcome in it.
        string? state = null;
        if (batch.PublishState)
        {
            yield return new Update { Topic = SharedList.Topic, Text = state ??= ListCodec.State(list.Current), Id = StateUpdateId };
        }

        foreach (var connectionId in batch.Welcomes)
        {
            yield return new Update { Topic = SharedList.Topic, Text = state ??= ListCodec.State(list.Current), Id = WelcomeUpdateId, ConnectionId = connectionId };
        }

        foreach (var reply in batch.Replies)
        {
            yield return new Update { Topic = SharedList.Topic, Text = reply.Text, Id = ReplyUpdateId, ConnectionId = reply.ConnectionId };
        }
    }
}
