using System.Net.WebSockets;
using Bridge.Protocol;
using Bridge.Security;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Primitives;

namespace Bridge.Connections;

/// <summary>
/// A Kestrel connection middleware on the HTTP listener that takes WebSocket upgrades of
/// <c>/ws</c> straight off a new connection: it reads the request head itself and, for a plainly
/// valid upgrade that <see cref="ConnectionAdmission"/> admits, answers 101 and runs the WebSocket on
/// the connection's transport pipes. Kestrel's HTTP layer is never involved for such a connection,
/// so none of its per-request state (parser, headers, HttpContext, pipes, timers) lives as long as
/// the WebSocket does — that state is most of what an idle connection costs behind the HTTP layer.
/// </summary>
/// <remarks>
/// Everything else goes on to Kestrel's HTTP layer with nothing consumed: other paths, keep-alive
/// requests, heads that arrive slowly or are unusual, invalid handshakes and refused admissions,
/// which the HTTP path answers with its usual status and reason (<see cref="WebSocketEndpoint.HandleAsync"/>).
/// </remarks>
internal sealed partial class DirectUpgradeMiddleware(
    ConnectionDelegate next,
    WebSocketEndpoint endpoint,
    ConnectionAdmission admission,
    TimeProvider time,
    IConfiguration configuration,
    ILogger<DirectUpgradeMiddleware> logger)
{
    // ASP.NET's host filtering (AllowedHosts) runs in the HTTP layer: with a host list configured,
    // every request goes there so none skips it.
    private readonly bool _enabled = configuration["AllowedHosts"] is null or "" or "*";

    /// <summary>
    /// How long a new connection may take to send its request head before it is handed to the HTTP
    /// layer unread, whose own request-head timeout then applies.
    /// </summary>
    public static readonly TimeSpan HeadTimeout = TimeSpan.FromSeconds(5);

    public async Task OnConnectionAsync(ConnectionContext connection)
    {
        var admitted = _enabled ? await ReadUpgradeAsync(connection) : null;
        if (admitted is not { } upgrade)
        {
            await next(connection);
            return;
        }

        await endpoint.RunAsync(upgrade.Topics, upgrade.Head.OffersJson, new DirectUpgrade(connection, upgrade.Head.Key, logger));
    }

    /// <returns>The admitted upgrade with its head consumed, or null with nothing consumed.</returns>
    private async Task<(UpgradeRequestHead Head, string[] Topics)?> ReadUpgradeAsync(ConnectionContext connection)
    {
        var input = connection.Transport.Input;
        using var timeout = new CancellationTokenSource(HeadTimeout, time);
        while (true)
        {
            System.IO.Pipelines.ReadResult result;
            try
            {
                result = await input.ReadAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                // A slow head: what arrived stays unconsumed for the HTTP layer.
                return null;
            }
            catch (IOException)
            {
                // Reset before the head arrived: the HTTP layer sees the same failure and handles it as it always has.
                return null;
            }

            var buffer = result.Buffer;
            switch (UpgradeRequestHead.TryParse(buffer, out var head, out var end))
            {
                case HeadParse.Incomplete when !result.IsCompleted && !result.IsCanceled:
                    input.AdvanceTo(buffer.Start, buffer.End);
                    continue;
                case HeadParse.Upgrade:
                    var admitted = admission.Admit(head!.Query.Length == 0 ? StringValues.Empty : QueryHelpers.ParseQuery(head.Query).GetValueOrDefault("topic"));
                    if (admitted.IsAdmitted)
                    {
                        input.AdvanceTo(end);
                        return (head, admitted.Topics);
                    }

                    // Refused: the HTTP path refuses it again, with the status, reason and log line it always has.
                    input.AdvanceTo(buffer.Start);
                    return null;
                default:
                    input.AdvanceTo(buffer.Start);
                    return null;
            }
        }
    }

    /// <summary>The direct path's upgrade: the 101 is written straight into the transport.</summary>
    private readonly struct DirectUpgrade(ConnectionContext connection, byte[] key, ILogger logger) : IWebSocketUpgrade
    {
        public async Task<WebSocketChannel> AcceptAsync(bool json, long connectedAt)
        {
            WebSocketHandshake.WriteSwitchingProtocols(connection.Transport.Output, key, json);
            var flushed = await connection.Transport.Output.FlushAsync();
            if (flushed.IsCompleted || flushed.IsCanceled)
            {
                throw new IOException("The connection closed during the handshake.");
            }

            Log.Upgraded(logger, connection.ConnectionId);
            return new WebSocketChannel(connection.Transport.Input, connection.Transport.Output, connectedAt);
        }

        public void Complete(WebSocketChannel? channel, WebSocketState final)
        {
            if (final is WebSocketState.Aborted or WebSocketState.None)
            {
                // Aborted (close or ping timeout, failed transport): do not let the transport wait to
                // flush to a peer that may never read again. Any other end (a close sent, with or
                // without the peer's answer) ends gracefully, so the close frame is not cut off.
                connection.Abort(new ConnectionAbortedException("The WebSocket was aborted."));
            }
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 104, Level = LogLevel.Trace, Message = "Transport connection {TransportConnectionId} upgraded to a WebSocket without the HTTP layer.")]
        public static partial void Upgraded(ILogger logger, string transportConnectionId);
    }
}
