namespace Bridge.Benchmarks.Load;

/// <summary>Reads many subscriber sockets and feeds what arrives to an <see cref="IStreamReader"/>.</summary>
internal interface IReceiver : IDisposable
{
    /// <summary>Starts reading <paramref name="subscriber"/>, whose handshake is done.</summary>
    void Add(Subscriber subscriber);

    /// <summary>Reads that returned data so far.</summary>
    long Reads { get; }
}

/// <summary>Which receiver drives the subscriber sockets.</summary>
internal enum ReceiverKind
{
    /// <summary>One thread in <c>epoll_wait</c>; one <c>recv</c> into a shared 256 KiB buffer per ready socket.</summary>
    Epoll,

    /// <summary>A <c>Socket.ReceiveAsync(Memory)</c> loop per socket, on .NET's own socket engine.</summary>
    Async,
}
