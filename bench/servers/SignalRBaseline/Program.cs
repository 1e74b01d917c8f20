// A SignalR group broadcast, as a baseline for bench/Bridge.Benchmarks: hub at /hub (JSON protocol),
// every connection joins group "bench", and Publish(payload) sends "m"(payload) to the group.
// Usage: SignalRBaseline --port N (0 picks a free port); prints "LISTENING <port>" when ready.
using System.Globalization;
using SignalRBaseline;

var builder = WebApplication.CreateBuilder(args);
builder.Logging.SetMinimumLevel(LogLevel.Warning);
var port = int.Parse(builder.Configuration["port"] ?? "0", CultureInfo.InvariantCulture);
builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
builder.Services.AddSignalR();

var app = builder.Build();
app.MapGet("/healthz", () => "ok");
app.MapHub<BenchHub>("/hub");

app.Lifetime.ApplicationStarted.Register(() =>
{
    var bound = new Uri(app.Urls.First());
    Console.WriteLine($"LISTENING {bound.Port}");
});

app.Run();
