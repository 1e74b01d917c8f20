using System.Net.Sockets;
using System.Text;

namespace Bridge.Tests.Infrastructure;

/// <summary>Sends a hand-written HTTP/1.1 request over TCP and returns the raw response, for checking refusals byte for byte.</summary>
internal static class RawHttp
{
    public static async Task<(int Status, string Body)> WebSocketHandshakeAsync(Uri httpUri, string pathAndQuery)
    {
        var request =
            $"GET {pathAndQuery} HTTP/1.1\r\n" +
            $"Host: {httpUri.Authority}\r\n" +
            "Connection: Upgrade\r\n" +
            "Upgrade: websocket\r\n" +
            "Sec-WebSocket-Version: 13\r\n" +
            "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n" +
            "\r\n";
        return await SendAsync(httpUri, request);
    }

    public static async Task<(int Status, string Body)> SendAsync(Uri httpUri, string request)
    {
        using var client = new TcpClient();
        await client.ConnectAsync(httpUri.Host, httpUri.Port).WaitAsync(TestTimeouts.Signal);
        var stream = client.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes(request));

        var response = new StringBuilder();
        var buffer = new byte[8192];
        using var cts = new CancellationTokenSource(TestTimeouts.Signal);
        while (true)
        {
            var read = await stream.ReadAsync(buffer, cts.Token);
            if (read == 0)
            {
                break;
            }

            response.Append(Encoding.UTF8.GetString(buffer, 0, read));
            if (IsComplete(response.ToString()))
            {
                break;
            }
        }

        var text = response.ToString();
        var status = int.Parse(text.Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture);
        var bodyStart = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        return (status, bodyStart < 0 ? string.Empty : Dechunk(text, bodyStart + 4));
    }

    private static bool IsComplete(string text)
    {
        var headerEnd = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        if (headerEnd < 0)
        {
            return false;
        }

        var headers = text[..headerEnd];
        if (headers.Contains("Transfer-Encoding: chunked", StringComparison.OrdinalIgnoreCase))
        {
            return text.EndsWith("0\r\n\r\n", StringComparison.Ordinal);
        }

        var lengthLine = headers.Split("\r\n").FirstOrDefault(l => l.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase));
        if (lengthLine is null)
        {
            return false;
        }

        var length = int.Parse(lengthLine["Content-Length:".Length..].Trim(), System.Globalization.CultureInfo.InvariantCulture);
        return Encoding.UTF8.GetByteCount(text[(headerEnd + 4)..]) >= length;
    }

    private static string Dechunk(string text, int start)
    {
        if (!text[..start].Contains("Transfer-Encoding: chunked", StringComparison.OrdinalIgnoreCase))
        {
            return text[start..];
        }

        var body = new StringBuilder();
        var position = start;
        while (true)
        {
            var lineEnd = text.IndexOf("\r\n", position, StringComparison.Ordinal);
            var size = Convert.ToInt32(text[position..lineEnd], 16);
            if (size == 0)
            {
                return body.ToString();
            }

            body.Append(text, lineEnd + 2, size);
            position = lineEnd + 2 + size + 2;
        }
    }
}
