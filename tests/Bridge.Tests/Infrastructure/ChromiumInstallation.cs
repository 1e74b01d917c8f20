namespace Bridge.Tests.Infrastructure;

/// <summary>
/// Makes sure Debian's Chromium is at <see cref="ExecutablePath"/> before a browser test starts.
/// The README's one test command must run everything on a fresh machine, where Chromium is not
/// installed yet, so when it is missing and this process may install it (root, with apt-get) it
/// runs <c>apt-get install -y chromium</c> itself. Otherwise the tests fail, never skip, with what
/// to install: a skipped browser test would pass CI without ever having run.
/// </summary>
internal static class ChromiumInstallation
{
    public const string ExecutablePath = "/usr/bin/chromium";

    public const string InstallCommand = "apt-get install -y chromium";

    /// <summary>A cold install was measured at ~25 s; apt may first wait for another process's dpkg lock.</summary>
    private static readonly TimeSpan AptTimeout = TimeSpan.FromMinutes(10);

    /// <summary>How long apt-get waits for a dpkg lock that another process (another test run, say) holds.</summary>
    private const int DpkgLockTimeoutSeconds = 300;

    /// <summary>
    /// apt-get's words when its package lists are missing or stale: only then is an
    /// <c>apt-get update</c> worth running (a fresh machine may ship without lists).
    /// </summary>
    private static readonly string[] MissingListsSymptoms =
    [
        "Unable to locate package",
        "has no installation candidate",
        "try running apt-get update",
        "maybe run apt-get update",
    ];

    /// <summary>One attempt per test run, however many fixtures ask; a failure is remembered, not retried.</summary>
    private static readonly Lazy<Task> Installation = new(EnsureInstalledAsync);

    public static Task EnsureAsync() => Installation.Value;

    private static async Task EnsureInstalledAsync()
    {
        if (File.Exists(ExecutablePath))
        {
            return;
        }

        var attempt = await TryInstallAsync();
        if (!File.Exists(ExecutablePath))
        {
            throw new InvalidOperationException(
                $"The browser tests need Debian's Chromium at {ExecutablePath}, and it is not installed. " +
                $"Install it with `{InstallCommand}` (as root), then run the tests again. {attempt}");
        }
    }

    /// <summary>Installs Chromium if this process may; returns what happened, for the failure message.</summary>
    private static async Task<string> TryInstallAsync()
    {
        if (!Environment.IsPrivilegedProcess)
        {
            return "The tests install it themselves only when they run as root.";
        }

        if (FindOnPath("apt-get") is not { } aptGet)
        {
            return "The tests install it themselves only where apt-get exists, and it does not here.";
        }

        var (exitCode, output) = await AptGetAsync(aptGet, "install", "-y", "chromium");
        if (exitCode != 0 && MissingListsSymptoms.Any(s => output.Contains(s, StringComparison.OrdinalIgnoreCase)))
        {
            var (updateExitCode, updateOutput) = await AptGetAsync(aptGet, "update");
            if (updateExitCode != 0)
            {
                return $"`apt-get update` exited with {updateExitCode}:\n{updateOutput}";
            }

            (exitCode, output) = await AptGetAsync(aptGet, "install", "-y", "chromium");
        }

        return exitCode == 0
            ? $"`{InstallCommand}` succeeded but did not put Chromium at {ExecutablePath}:\n{output}"
            : $"`{InstallCommand}` exited with {exitCode}:\n{output}";
    }

    private static Task<(int ExitCode, string Output)> AptGetAsync(string aptGet, params string[] arguments) =>
        ChildProcess.RunAsync(
            aptGet,
            // Wait for the dpkg lock instead of failing at once when another apt is running.
            ["-o", $"DPkg::Lock::Timeout={DpkgLockTimeoutSeconds}", .. arguments],
            Environment.CurrentDirectory,
            new Dictionary<string, string?> { ["DEBIAN_FRONTEND"] = "noninteractive" },
            AptTimeout);

    private static string? FindOnPath(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? string.Empty)
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(folder => Path.Combine(folder, name))
            .FirstOrDefault(File.Exists);
}
