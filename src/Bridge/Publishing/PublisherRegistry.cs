using Bridge.Configuration;
using Bridge.Connections;
using Bridge.Diagnostics;
using Bridge.V1;
using Microsoft.Extensions.Options;

namespace Bridge.Publishing;

/// <summary>
/// The open publisher streams. Routes browser messages and connection events to the streams
/// whose filters match; never waits for a stream.
/// </summary>
internal sealed class PublisherRegistry(IOptions<BridgeOptions> options, BridgeMetrics metrics, ILogger<PublisherStream> streamLogger)
    : IClientMessageSink, IConnectionObserver
{
    private readonly int _eventLimit = options.Value.PublisherQueueLength;
    private readonly Lock _gate = new();
    private PublisherStream[] _streams = [];
    private long _nextId;

    public PublisherStream Create(string peer) =>
        new("p" + Interlocked.Increment(ref _nextId), peer, _eventLimit, metrics, streamLogger);

    public void Add(PublisherStream stream)
    {
        lock (_gate)
        {
            _streams = [.. _streams, stream];
        }

        metrics.PublisherStreamOpened();
    }

    public void Remove(PublisherStream stream)
    {
        lock (_gate)
        {
            if (Array.IndexOf(_streams, stream) < 0)
            {
                return;
            }

            _streams = [.. _streams.Where(s => s != stream)];
        }

        metrics.PublisherStreamClosed();
    }

    /// <returns>How many streams listen to the message's topic (whether or not they had room).</returns>
    public int Dispatch(ClientMessage message)
    {
        var listeners = 0;
        var response = new PublishResponse { ClientMessage = message };
        foreach (var stream in Volatile.Read(ref _streams))
        {
            if (stream.OfferMessage(message.Topic, response) != Delivery.NotListening)
            {
                listeners++;
            }
        }

        return listeners;
    }

    public void OnConnected(ClientConnection connection) => Announce(connection, ClientEvent.Types.Kind.Connected);

    public void OnDisconnected(ClientConnection connection) => Announce(connection, ClientEvent.Types.Kind.Disconnected);

    public static PublishResponse EventResponse(ClientConnection connection, ClientEvent.Types.Kind kind) =>
        new() { ClientEvent = new ClientEvent { ConnectionId = connection.Id, Kind = kind, Topics = { connection.Topics } } };

    private void Announce(ClientConnection connection, ClientEvent.Types.Kind kind)
    {
        var streams = Volatile.Read(ref _streams);
        if (streams.Length == 0)
        {
            return;
        }

        var response = EventResponse(connection, kind);
        foreach (var stream in streams)
        {
            stream.OfferEvent(connection.Topics, response);
        }
    }
}
