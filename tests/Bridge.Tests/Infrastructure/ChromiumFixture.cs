using Microsoft.Playwright;

namespace Bridge.Tests.Infrastructure;

/// <summary>
/// One headless Debian Chromium, driven by Playwright, shared by every test in
/// <see cref="SharedChromium"/>: starting a browser costs about a second, a context a few
/// milliseconds, so each test gets its own context (no shared cookies, storage or sockets) from
/// <see cref="NewPageAsync"/>. Public only because xunit injects it into public test classes.
/// </summary>
public sealed class ChromiumFixture : IAsyncLifetime
{
    /// <summary>
    /// What the machine's closed network needs (see TOOLCHAIN.md): without the background-networking
    /// flags Chromium floods it with refused connections to Google's hosts at every start.
    /// <c>--no-sandbox</c> because CI runs as root, where Chromium's sandbox refuses to start.
    /// </summary>
    private static readonly string[] Arguments =
    [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
    ];

    private IPlaywright? _playwright;
    private IBrowser? _browser;

    private IBrowser Browser => _browser ?? throw new InvalidOperationException("Chromium is not running.");

    public async Task InitializeAsync()
    {
        await ChromiumInstallation.EnsureAsync();
        _playwright = await Playwright.CreateAsync();
        try
        {
            // Launch (not a persistent context): Playwright gives the browser a fresh temporary
            // profile and deletes it when the browser closes.
            _browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
            {
                ExecutablePath = ChromiumInstallation.ExecutablePath,
                Headless = true,
                Args = Arguments,
                Timeout = (float)TestTimeouts.Signal.TotalMilliseconds,
            });
        }
        catch
        {
            // xunit does not promise DisposeAsync after a failed InitializeAsync: end the Node driver here.
            _playwright.Dispose();
            _playwright = null;
            throw;
        }
    }

    /// <summary>A new page in a new context of its own; dispose it at the end of the test.</summary>
    internal async Task<BrowserPage> NewPageAsync()
    {
        var context = await Browser.NewContextAsync();
        // Every Playwright wait and action then fails after the tests' usual signal timeout rather
        // than Playwright's 30 s default.
        context.SetDefaultTimeout((float)TestTimeouts.Signal.TotalMilliseconds);
        // Chromium asks every origin for /favicon.ico, and the bridge has none: the 404 would be a
        // console error in every test. Answering it here keeps the error list to the test's own.
        await context.RouteAsync("**/favicon.ico", route => route.FulfillAsync(new RouteFulfillOptions { Status = 204 }));
        var page = await context.NewPageAsync();
        return new BrowserPage(context, page);
    }

    public async Task DisposeAsync()
    {
        // Closing the browser ends the Chromium processes and deletes its profile; disposing
        // Playwright ends its Node driver. Nothing they started outlives the test run.
        try
        {
            if (_browser is not null)
            {
                await _browser.CloseAsync();
            }
        }
        finally
        {
            _playwright?.Dispose();
        }
    }
}
