using Microsoft.Playwright;

namespace Bridge.Tests.Infrastructure;

/// <summary>
/// One test's page in a browser context of its own (from <see cref="ChromiumFixture.NewPageAsync"/>).
/// It records every console error, uncaught exception and crash of the page, so a test can assert
/// there were none, and a failed wait or script reports them: in a browser test they are usually
/// the only explanation of what went wrong.
/// </summary>
internal sealed class BrowserPage : IAsyncDisposable
{
    /// <summary>Where <see cref="GoToOriginAsync"/> puts the page: the liveness endpoint, which every bridge serves.</summary>
    private const string ScriptlessPath = "/healthz";

    private readonly IBrowserContext _context;
    private readonly Lock _gate = new();
    private readonly List<string> _errors = [];

    public BrowserPage(IBrowserContext context, IPage page)
    {
        _context = context;
        Page = page;
        page.Console += (_, message) =>
        {
            if (message.Type == "error")
            {
                Record($"console.error at {message.Location}: {message.Text}");
            }
        };
        page.PageError += (_, error) => Record($"uncaught in page: {error}");
        page.Crash += (_, _) => Record("the page crashed");
    }

    /// <summary>The Playwright page, for whatever the helpers here do not cover.</summary>
    public IPage Page { get; }

    /// <summary>Console errors, uncaught exceptions and crashes so far, in arrival order.</summary>
    public IReadOnlyList<string> Errors
    {
        get
        {
            lock (_gate)
            {
                return [.. _errors];
            }
        }
    }

    /// <summary>
    /// Puts the page on <paramref name="origin"/> (the bridge's HTTP listener), so its scripts run
    /// with the bridge's origin, as a page the bridge serves would, but without the demo page's own
    /// scripts and sockets: it opens <c>/healthz</c>, a plain-text document with no script.
    /// </summary>
    /// <remarks>
    /// The document must really come from the server. A document Playwright answers itself (a
    /// fulfilled route) has no server address, so Chromium's Local Network Access checks count
    /// it as public and block its sockets to 127.0.0.1 (net::ERR_BLOCKED_BY_LOCAL_NETWORK_ACCESS_CHECKS).
    /// </remarks>
    public async Task GoToOriginAsync(Uri origin)
    {
        var response = await Page.GotoAsync(new Uri(origin, ScriptlessPath).ToString());
        Assert.True(response is { Ok: true }, $"GET {ScriptlessPath} on {origin} answered {response?.Status}.");
    }

    /// <summary>Runs <paramref name="script"/> (an expression or function) in the page; a failure carries the page's errors.</summary>
    public async Task<T> EvaluateAsync<T>(string script, object? arg = null)
    {
        try
        {
            return await Page.EvaluateAsync<T>(script, arg);
        }
        catch (PlaywrightException ex)
        {
            throw new InvalidOperationException($"The page script failed: {ex.Message}{ErrorReport()}", ex);
        }
    }

    /// <inheritdoc cref="EvaluateAsync{T}(string, object?)"/>
    public Task EvaluateAsync(string script, object? arg = null) => EvaluateAsync<object?>(script, arg);

    /// <summary>
    /// Waits until <paramref name="predicate"/> (a JS function of <paramref name="arg"/>) returns
    /// something truthy, for at most the signal timeout; <paramref name="what"/> names the wait in
    /// the failure, which also carries the page's errors.
    /// </summary>
    public async Task WaitForAsync(string what, string predicate, object? arg = null)
    {
        try
        {
            await Page.WaitForFunctionAsync(predicate, arg);
        }
        catch (TimeoutException ex)
        {
            throw new TimeoutException($"Waited {TestTimeouts.Signal} for {what}.{ErrorReport()}", ex);
        }
        catch (PlaywrightException ex)
        {
            throw new InvalidOperationException($"Waiting for {what} failed: {ex.Message}{ErrorReport()}", ex);
        }
    }

    /// <summary>Fails, listing them, if the page logged a console error, threw, or crashed.</summary>
    public void AssertNoErrors()
    {
        var errors = Errors;
        Assert.True(errors.Count == 0, $"the page reported {errors.Count} error(s):\n" + string.Join('\n', errors));
    }

    /// <summary>Closes the context: its page, and every socket the page still holds.</summary>
    public ValueTask DisposeAsync() => _context.DisposeAsync();

    private void Record(string error)
    {
        lock (_gate)
        {
            _errors.Add(error);
        }
    }

    private string ErrorReport()
    {
        var errors = Errors;
        return errors.Count == 0 ? " The page reported no errors." : "\nThe page reported:\n" + string.Join('\n', errors);
    }
}
