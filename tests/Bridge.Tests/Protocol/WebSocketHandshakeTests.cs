using Bridge.Protocol;
using Bridge.Tests.Infrastructure;

namespace Bridge.Tests.Protocol;

public sealed class WebSocketHandshakeTests
{
    [Fact]
    public void The_accept_value_is_the_one_from_RFC_6455() =>
        Assert.Equal("s3pPLMBiTxaQ9kYGzzhZRbK+xOo=", WebSocketHandshake.ComputeAccept("dGhlIHNhbXBsZSBub25jZQ=="));

    [Fact]
    public async Task A_valid_handshake_gets_101_with_the_accept_header_and_no_extension_or_subprotocol()
    {
        await using var server = await BridgeServer.StartAsync();

        var response = await SendAsync(server,
            "Connection: keep-alive, Upgrade\r\nUpgrade: WebSocket\r\nSec-WebSocket-Version: 13\r\n" +
            "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Extensions: permessage-deflate\r\nSec-WebSocket-Protocol: chat\r\n");

        Assert.StartsWith("HTTP/1.1 101 Switching Protocols\r\n", response, StringComparison.Ordinal);
        Assert.Contains("Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n", response, StringComparison.Ordinal);
        Assert.DoesNotContain("Sec-WebSocket-Extensions", response, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("Sec-WebSocket-Protocol", response, StringComparison.OrdinalIgnoreCase);
    }

    [Theory]
    [InlineData("Connection: keep-alive\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n", 400, "the Connection header must include Upgrade")]
    [InlineData("Connection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 8\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n", 426, "unsupported Sec-WebSocket-Version")]
    [InlineData("Connection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\n", 400, "Sec-WebSocket-Key must be the base64 encoding of 16 bytes")]
    [InlineData("Connection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: c2hvcnQ=\r\n", 400, "Sec-WebSocket-Key must be the base64 encoding of 16 bytes")]
    public async Task An_invalid_handshake_is_refused_with_a_reason(string headers, int status, string reason)
    {
        await using var server = await BridgeServer.StartAsync();

        var (actualStatus, body) = await RawHttp.SendAsync(server.HttpUri, $"GET /ws HTTP/1.1\r\nHost: {server.HttpUri.Authority}\r\n{headers}\r\n");

        Assert.Equal(status, actualStatus);
        Assert.Contains(reason, body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unsupported_version_is_answered_with_the_version_the_server_speaks()
    {
        await using var server = await BridgeServer.StartAsync();

        var response = await SendAsync(server, "Connection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 7\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n");

        Assert.Contains("Sec-WebSocket-Version: 13\r\n", response, StringComparison.Ordinal);
    }

    private static async Task<string> SendAsync(BridgeServer server, string headers)
    {
        using var client = new System.Net.Sockets.TcpClient();
        await client.ConnectAsync(server.HttpUri.Host, server.HttpUri.Port);
        var stream = client.GetStream();
        await stream.WriteAsync(System.Text.Encoding.ASCII.GetBytes($"GET /ws HTTP/1.1\r\nHost: {server.HttpUri.Authority}\r\n{headers}\r\n"));
        var buffer = new byte[4096];
        var response = new System.Text.StringBuilder();
        using var timeout = new CancellationTokenSource(TestTimeouts.Signal);
        while (!response.ToString().Contains("\r\n\r\n", StringComparison.Ordinal))
        {
            var read = await stream.ReadAsync(buffer, timeout.Token);
            if (read == 0)
            {
                break;
            }

            response.Append(System.Text.Encoding.ASCII.GetString(buffer, 0, read));
        }

        return response.ToString();
    }
}
