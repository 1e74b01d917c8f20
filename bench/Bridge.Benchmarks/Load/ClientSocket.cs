using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Bridge.Benchmarks.Load;

/// <summary>The blocking start of every subscriber connection: connect from a chosen source address, and read an HTTP answer's head.</summary>
internal static class ClientSocket
{
    /// <summary>A connected TCP socket from <paramref name="source"/> (no Nagle; blocking, with <paramref name="timeout"/> on each call).</summary>
    public static Socket Open(IPEndPoint server, IPAddress source, TimeSpan timeout)
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
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>Reads an HTTP answer up to its blank line; returns its head (status line and headers) and the bytes that followed.</summary>
    public static (string Head, byte[] Leftover) ReadHead(Socket socket, string request)
    {
        var buffer = new byte[8192];
        var length = 0;
        while (true)
        {
            var received = socket.Receive(buffer, length, buffer.Length - length, SocketFlags.None);
            if (received == 0)
            {
                throw new IOException($"{request}: the server closed the connection before its answer was complete");
            }

            length += received;
            var end = buffer.AsSpan(0, length).IndexOf("\r\n\r\n"u8);
            if (end >= 0)
            {
                return (Encoding.ASCII.GetString(buffer, 0, end), buffer[(end + 4)..length]);
            }

            if (length == buffer.Length)
            {
                throw new IOException($"{request}: the answer's head is larger than {buffer.Length} bytes");
            }
        }
    }

    /// <summary>The value of header <paramref name="name"/> in <paramref name="head"/>, or null.</summary>
    public static string? Header(string head, string name) =>
        head.Split("\r\n").Skip(1)
            .FirstOrDefault(l => l.Length > name.Length && l[name.Length] == ':' && l.StartsWith(name, StringComparison.OrdinalIgnoreCase))?[(name.Length + 1)..].Trim();
}
