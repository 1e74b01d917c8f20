using System.ComponentModel;
using Bridge.Tests.Infrastructure;

namespace Bridge.Tests.Clients;

/// <summary>
/// Runs the JavaScript client's own unit tests (clients/js/test, Node's built-in runner, nothing to
/// install) as part of the one test command; the browser tests cover it against the real bridge.
/// </summary>
public sealed class JsClientUnitTests
{
    [Fact]
    public async Task The_js_client_unit_tests_pass_under_node()
    {
        (int ExitCode, string Output) run;
        try
        {
            run = await ChildProcess.RunAsync("node", ["--test", "clients/js/test/"], Repository.Root, new Dictionary<string, string?>(), TimeSpan.FromMinutes(2));
        }
        catch (Win32Exception ex)
        {
            Assert.Fail($"Node.js is needed to run the JavaScript client's tests: install it (e.g. apt-get install -y nodejs). {ex.Message}");
            return;
        }

        Assert.True(run.ExitCode == 0, "node --test clients/js/test/ failed:\n" + run.Output);
        Assert.Contains("# fail 0", run.Output, StringComparison.Ordinal);
    }
}
