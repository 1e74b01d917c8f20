using Bridge.Configuration;

namespace Bridge.Hosting;

/// <summary>
/// <c>Bridge healthcheck</c>: asks this machine's bridge for <c>/healthz</c> and exits 0 when it is
/// live. The container's HEALTHCHECK uses it because the runtime image has no curl. Its 2 s
/// timeout stays under the HEALTHCHECK's 3 s so its own message reaches the health log.
/// </summary>
internal static class HealthProbe
{
    public const string Command = "healthcheck";

    public static bool IsRequested(string[] args) => args.Length > 0 && args[0] == Command;

    public static async Task<int> RunAsync(string[] args)
    {
        var configuration = new ConfigurationBuilder()
            .SetBasePath(AppContext.BaseDirectory)
            .AddJsonFile("appsettings.json", optional: true)
            .AddEnvironmentVariables()
            .AddCommandLine(args[1..])
            .Build();
        var options = new BridgeOptions();
        configuration.GetSection(BridgeOptions.SectionName).Bind(options);

        if (!ListenerUrl.TryParse(options.HttpUrl, out var listener, out var error))
        {
            await Console.Error.WriteLineAsync($"healthcheck: Bridge:HttpUrl {error}");
            return 2;
        }

        // Probe over loopback: a wildcard listener also answers there, and a container's own
        // address is not known to the probe.
        var host = listener.IsLocalhost || listener.IsAnyIp || listener.Address!.Equals(System.Net.IPAddress.Any)
            ? "127.0.0.1"
            : listener.Address.Equals(System.Net.IPAddress.IPv6Any) ? "[::1]"
            : listener.Address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? $"[{listener.Address}]"
            : listener.Address.ToString();
        var url = new Uri($"http://{host}:{listener.Port}/healthz");
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        try
        {
            using var response = await client.GetAsync(url);
            await Console.Out.WriteLineAsync($"healthcheck: {url} answered {(int)response.StatusCode}");
            return response.IsSuccessStatusCode ? 0 : 1;
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
        {
            await Console.Error.WriteLineAsync($"healthcheck: {url} failed: {ex.Message}");
            return 1;
        }
    }
}
