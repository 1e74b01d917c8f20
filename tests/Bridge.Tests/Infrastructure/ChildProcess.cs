using System.Diagnostics;
using System.Text.RegularExpressions;

namespace Bridge.Tests.Infrastructure;

/// <summary>
/// A process a test starts and watches. Every line it prints (stdout and stderr, interleaved as
/// they arrive) is kept for failure messages and can be awaited; disposing kills it, and anything
/// it started, if it is still running.
/// </summary>
internal sealed class ChildProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly Lock _gate = new();
    private readonly List<string> _lines = [];
    private readonly Task _readers;

    /// <summary>Completed and replaced whenever a line arrives or an output stream ends.</summary>
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Output streams not yet at their end (guarded by <see cref="_gate"/>).</summary>
    private int _openStreams = 2;

    private ChildProcess(Process process, string command)
    {
        _process = process;
        Command = command;
        // Own read loops rather than BeginOutputReadLine: then WaitForExitAsync waits for the
        // process only, not for the end of pipes that a grandchild (a build server) may inherit.
        _readers = Task.WhenAll(Task.Run(() => ReadAsync(process.StandardOutput, string.Empty)), Task.Run(() => ReadAsync(process.StandardError, "stderr: ")));
    }

    /// <summary>The command line, for messages.</summary>
    public string Command { get; }

    public int Id => _process.Id;

    public bool HasExited => _process.HasExited;

    /// <summary>Everything printed so far, one line each.</summary>
    public string Output
    {
        get
        {
            lock (_gate)
            {
                return string.Join('\n', _lines);
            }
        }
    }

    /// <summary>
    /// Starts <paramref name="fileName"/>. The environment is this process's own plus
    /// <paramref name="environment"/> (a null value removes a variable), or only
    /// <paramref name="environment"/> when <paramref name="inherit"/> is false.
    /// </summary>
    public static ChildProcess Start(
        string fileName,
        IEnumerable<string> arguments,
        string workingDirectory,
        IReadOnlyDictionary<string, string?> environment,
        bool inherit = true)
    {
        var info = new ProcessStartInfo(fileName)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        if (!inherit)
        {
            info.Environment.Clear();
        }

        foreach (var (key, value) in environment)
        {
            if (value is null)
            {
                info.Environment.Remove(key);
            }
            else
            {
                info.Environment[key] = value;
            }
        }

        var command = string.Join(' ', info.ArgumentList.Prepend(fileName));
        var process = Process.Start(info) ?? throw new InvalidOperationException($"Could not start {command}.");
        return new ChildProcess(process, command);
    }

    /// <summary>Runs a command to its end; returns its exit code and output.</summary>
    public static async Task<(int ExitCode, string Output)> RunAsync(
        string fileName,
        IEnumerable<string> arguments,
        string workingDirectory,
        IReadOnlyDictionary<string, string?> environment,
        TimeSpan timeout,
        bool inherit = true)
    {
        await using var child = Start(fileName, arguments, workingDirectory, environment, inherit);
        var exitCode = await child.WaitForExitAsync(timeout);
        return (exitCode, child.Output);
    }

    /// <summary>Waits for a line matching <paramref name="pattern"/>, among those already printed or to come.</summary>
    public async Task<Match> WaitForLineAsync(Regex pattern, TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        var next = 0;
        while (true)
        {
            Task changed;
            bool ended;
            lock (_gate)
            {
                for (; next < _lines.Count; next++)
                {
                    var match = pattern.Match(_lines[next]);
                    if (match.Success)
                    {
                        return match;
                    }
                }

                changed = _changed.Task;
                ended = _openStreams == 0;
            }

            if (ended)
            {
                throw new InvalidOperationException($"`{Command}` closed its output without printing a line matching /{pattern}/. Output:\n{Output}");
            }

            try
            {
                await changed.WaitAsync(cts.Token);
            }
            catch (OperationCanceledException) when (cts.IsCancellationRequested)
            {
                throw new TimeoutException($"`{Command}` printed no line matching /{pattern}/ within {timeout}. Output:\n{Output}");
            }
        }
    }

    /// <summary>Waits for the process to exit and returns its exit code.</summary>
    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        try
        {
            await _process.WaitForExitAsync().WaitAsync(timeout);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"`{Command}` did not exit within {timeout}. Output:\n{Output}");
        }

        // The pipes end with the process unless a grandchild holds them; then keep what arrived.
        await _readers.WaitAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        return _process.ExitCode;
    }

    /// <summary>Sends SIGTERM, as <c>docker stop</c> and the kubelet do.</summary>
    public async Task TerminateAsync()
    {
        var (exitCode, output) = await RunAsync("kill", ["-TERM", Id.ToString(System.Globalization.CultureInfo.InvariantCulture)], Environment.CurrentDirectory, new Dictionary<string, string?>(), TimeSpan.FromSeconds(10));
        if (exitCode != 0)
        {
            throw new InvalidOperationException($"kill -TERM {Id} exited with {exitCode}: {output}");
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
            }

            await _readers.WaitAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
        finally
        {
            _process.Dispose();
        }
    }

    private async Task ReadAsync(StreamReader reader, string prefix)
    {
        try
        {
            while (await reader.ReadLineAsync() is { } line)
            {
                Changed(() => _lines.Add(prefix + line));
            }
        }
        finally
        {
            Changed(() => _openStreams--);
        }
    }

    private void Changed(Action update)
    {
        TaskCompletionSource changed;
        lock (_gate)
        {
            update();
            changed = _changed;
            _changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        changed.SetResult();
    }
}
