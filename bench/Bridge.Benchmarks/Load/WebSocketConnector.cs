using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Bridge.Benchmarks.Load;

/// <summary>Opens a WebSocket by hand: a blocking connect and HTTP/1.1 upgrade on a raw socket.</summary>
internal static class WebSocketConnector
{
    /// <summary>
    /// Connects from <paramref name="source"/> to <paramref name="server"/>, upgrades to a WebSocket
    /// at <paramref name="target"/> and sends <paramref name="firstFrame"/> (if any). Returns the
    /// socket (blocking, no timeouts) and the bytes that followed the 101 answer.
    /// </summary>
    public static (Socket Socket, byte[] Leftover) Connect(IPEndPoint server, IPAddress source, string target, byte[]? firstFrame, TimeSpan timeout)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp)
        {
            NoDelay = true,
            ReceiveTimeout = (int)timeout.TotalMilliseconds,
            SendTimeout = (int)timeout.TotalMilliseconds,
        };
        try
        {
            socket.Bind(new IPEndPoint(source, 0));
            socket.Connect(server);
            socket.Send(ClientFrames.UpgradeRequest(server.ToString(), target));
            var leftover = ReadUpgradeAnswer(socket, target);
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
    public static byte[] ReadUpgradeAnswer(Socket socket, string target)
    {
        var buffer = new byte[8192];
        var length = 0;
        while (true)
        {
            var received = socket.Receive(buffer, length, buffer.Length - length, SocketFlags.None);
            if (received == 0)
            {
                throw new IOException($"GET {target}: the server closed the connection during the upgrade");
            }

            length += received;
            var end = buffer.AsSpan(0, length).IndexOf("\r\n\r\n"u8);
            if (end >= 0)
            {
                CheckUpgradeAnswer(Encoding.ASCII.GetString(buffer, 0, end), target);
                return buffer[(end + 4)..length];
            }

            if (length == buffer.Length)
            {
                throw new IOException($"GET {target}: the upgrade answer is larger than {buffer.Length} bytes");
            }
        }
    }

    public static void CheckUpgradeAnswer(string head, string target)
    {
        var lines = head.Split("\r\n");
        if (!lines[0].StartsWith("HTTP/1.1 101", StringComparison.Ordinal))
        {
            throw new IOException($"GET {target}: expected 101 Switching Protocols, got \"{lines[0]}\"");
        }

        var accept = lines.FirstOrDefault(l => l.StartsWith("Sec-WebSocket-Accept:", StringComparison.OrdinalIgnoreCase));
        if (accept is null || accept["Sec-WebSocket-Accept:".Length..].Trim() != ClientFrames.ExpectedAccept)
        {
            throw new IOException($"GET {target}: missing or wrong Sec-WebSocket-Accept ({accept})");
        }
    }
}
