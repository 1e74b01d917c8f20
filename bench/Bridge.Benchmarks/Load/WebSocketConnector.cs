using System.Net;
using System.Net.Sockets;

namespace Bridge.Benchmarks.Load;

/// <summary>Opens a WebSocket by hand: a blocking connect and HTTP/1.1 upgrade on a raw socket.</summary>
internal static class WebSocketConnector
{
    /// <summary>
    /// Connects from <paramref name="source"/> to <paramref name="server"/>, upgrades to a WebSocket
    /// at <paramref name="target"/> (offering <paramref name="subprotocol"/>, if any, which the server
    /// must then select) and sends <paramref name="firstFrame"/> (if any). Returns the socket (blocking, no
    /// timeouts) and the bytes that followed the 101 answer.
    /// </summary>
    public static (Socket Socket, byte[] Leftover) Connect(IPEndPoint server, IPAddress source, string target, byte[]? firstFrame, TimeSpan timeout, string? subprotocol = null)
    {
        var socket = ClientSocket.Open(server, source, timeout);
        try
        {
            socket.Send(ClientFrames.UpgradeRequest(server.ToString(), target, subprotocol));
            var leftover = ReadUpgradeAnswer(socket, target, subprotocol);
            if (firstFrame is not null)
            {
                socket.Send(firstFrame);
            }

            socket.ReceiveTimeout = 0;
            socket.SendTimeout = 0;
            return (socket, leftover);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>Reads the HTTP answer to an upgrade request; throws unless it is a valid 101.</summary>
    public static byte[] ReadUpgradeAnswer(Socket socket, string target, string? subprotocol = null)
    {
        var (head, leftover) = ClientSocket.ReadHead(socket, "GET " + target);
        CheckUpgradeAnswer(head, target, subprotocol);
        return leftover;
    }

    public static void CheckUpgradeAnswer(string head, string target, string? subprotocol = null)
    {
        var status = head.Split("\r\n")[0];
        if (!status.StartsWith("HTTP/1.1 101", StringComparison.Ordinal))
        {
            throw new IOException($"GET {target}: expected 101 Switching Protocols, got \"{status}\"");
        }

        var accept = ClientSocket.Header(head, "Sec-WebSocket-Accept");
        if (accept != ClientFrames.ExpectedAccept)
        {
            throw new IOException($"GET {target}: missing or wrong Sec-WebSocket-Accept ({accept})");
        }

        var selected = ClientSocket.Header(head, "Sec-WebSocket-Protocol");
        if (subprotocol is not null && selected != subprotocol)
        {
            throw new IOException($"GET {target}: the server selected subprotocol \"{selected}\", expected \"{subprotocol}\"");
        }
    }
}
