using System.Net;
using System.Text;

namespace Bridge.Benchmarks.Load;

/// <summary>
/// Server-Sent Events subscribers: <c>GET target</c> over HTTP/1.1 with <c>Accept: text/event-stream</c>;
/// the answer must be 200 with that content type and no length (so chunked, or ended by closing).
/// What follows the head is read by <see cref="SseReader"/>; a subscriber is ready once its welcome event came.
/// </summary>
internal sealed class SseSubscribers(string target) : SubscriberProtocol
{
    public override Subscriber Connect(int id, IPEndPoint server, IPAddress source, TimeSpan timeout)
    {
        var socket = ClientSocket.Open(server, source, timeout);
        try
        {
            socket.Send(Encoding.ASCII.GetBytes($"GET {target} HTTP/1.1\r\nHost: {server}\r\nAccept: text/event-stream\r\nCache-Control: no-cache\r\n\r\n"));
            var (head, leftover) = ClientSocket.ReadHead(socket, "GET " + target);
            var status = head.Split("\r\n")[0];
            if (!status.StartsWith("HTTP/1.1 200", StringComparison.Ordinal))
            {
                throw new IOException($"GET {target}: expected 200, got \"{status}\"");
            }

            var type = ClientSocket.Header(head, "Content-Type");
            if (type is null || !type.StartsWith("text/event-stream", StringComparison.OrdinalIgnoreCase))
            {
                throw new IOException($"GET {target}: Content-Type \"{type}\" is not text/event-stream");
            }

            if (ClientSocket.Header(head, "Content-Length") is { } length)
            {
                throw new IOException($"GET {target}: an event stream with a Content-Length ({length})");
            }

            var chunked = ClientSocket.Header(head, "Transfer-Encoding")?.EndsWith("chunked", StringComparison.OrdinalIgnoreCase) == true;
            socket.ReceiveTimeout = 0;
            socket.SendTimeout = 0;
            return new Subscriber(id, socket, leftover) { Sse = new SseStreamState(chunked) };
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    public override IStreamReader CreateReader(DeliveryTracker tracker) => new SseReader(tracker);
}
