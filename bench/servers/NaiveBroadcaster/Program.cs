// The broadcaster every WebSocket tutorial shows, as a baseline for bench/Bridge.Benchmarks:
// subscribers on /ws are kept in a ConcurrentDictionary; each message the publisher sends on /pub
// is sent to every subscriber in turn, awaiting each SendAsync before the next.
// Usage: NaiveBroadcaster --port N (0 picks a free port); prints "LISTENING <port>" when ready.
using System.Collections.Concurrent;
using System.Globalization;
using System.Net.WebSockets;

var builder = WebApplication.CreateBuilder(args);
builder.Logging.SetMinimumLevel(LogLevel.Warning);
var port = int.Parse(builder.Configuration["port"] ?? "0", CultureInfo.InvariantCulture);
builder.WebHost.UseUrls($"http://127.0.0.1:{port}");

var app = builder.Build();
app.UseWebSockets();

var subscribers = new ConcurrentDictionary<Guid, WebSocket>();

app.MapGet("/healthz", () => "ok");

app.Map("/ws", async context =>
{
    if (!context.WebSockets.IsWebSocketRequest)
    {
        context.Response.StatusCode = StatusCodes.Status400BadRequest;
        return;
    }

    using var socket = await context.WebSockets.AcceptWebSocketAsync();
    var id = Guid.NewGuid();
    subscribers[id] = socket;
    try
    {
        // Subscribers only listen; read until they close.
        var buffer = new byte[1024];
        while (socket.State == WebSocketState.Open)
        {
            var result = await socket.ReceiveAsync(buffer, CancellationToken.None);
            if (result.MessageType == WebSocketMessageType.Close)
            {
                await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None);
                break;
            }
        }
    }
    catch (WebSocketException)
    {
        // The subscriber went away.
    }
    finally
    {
        subscribers.TryRemove(id, out _);
    }
});

app.Map("/pub", async context =>
{
    if (!context.WebSockets.IsWebSocketRequest)
    {
        context.Response.StatusCode = StatusCodes.Status400BadRequest;
        return;
    }

    using var publisher = await context.WebSockets.AcceptWebSocketAsync();
    var buffer = new byte[1024 * 1024];
    while (publisher.State == WebSocketState.Open)
    {
        var count = 0;
        WebSocketReceiveResult result;
        do
        {
            result = await publisher.ReceiveAsync(new ArraySegment<byte>(buffer, count, buffer.Length - count), CancellationToken.None);
            count += result.Count;
        }
        while (!result.EndOfMessage);

        if (result.MessageType == WebSocketMessageType.Close)
        {
            await publisher.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None);
            break;
        }

        var message = new ArraySegment<byte>(buffer, 0, count);
        foreach (var (id, subscriber) in subscribers)
        {
            try
            {
                await subscriber.SendAsync(message, result.MessageType, endOfMessage: true, CancellationToken.None);
            }
            catch (WebSocketException)
            {
                subscribers.TryRemove(id, out _);
            }
        }
    }
});

app.Lifetime.ApplicationStarted.Register(() =>
{
    var bound = new Uri(app.Urls.First());
    Console.WriteLine($"LISTENING {bound.Port}");
});

app.Run();
