using Bridge.V1;

namespace Bridge.Connections;

/// <summary>Hears connections come and go (implemented by the publisher side to send <c>ClientEvent</c>s).</summary>
internal interface IConnectionObserver
{
    void OnConnected(ClientConnection connection);

    void OnDisconnected(ClientConnection connection);
}

/// <summary>Takes the messages browsers send (implemented by the publisher side).</summary>
internal interface IClientMessageSink
{
    /// <summary>Routes a browser message to the publisher streams that listen to its topic; returns how many took it.</summary>
    int Dispatch(ClientMessage message);
}
