using System.Diagnostics;
using System.Text.RegularExpressions;
using Bridge.Benchmarks.Infrastructure;

namespace Bridge.Benchmarks.Servers;

/// <summary>
/// A server under test, started as its own process pinned to core 0. Keeps the last lines it
/// printed for error messages, measures its CPU and memory (with its children), and kills it,
/// with its children, when disposed.
/// </summary>
internal sealed class ServerProcess : IAsyncDisposable
{
    private const int KeptLines = 200;

    private readonly Process _process;
    private readonly Queue<string> _lines = new();
    private readonly List<(Regex Pattern, TaskCompletionSource<Match> Found)> _waiters = [];
    private readonly TaskCompletionSource _exited = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _disposed;

    private ServerProcess(Process process, string command)
    {
        _process = process;
        Command = command;
    }

    public string Command { get; }

    public int Pid => _process.Id;

    /// <summary>The port for WebSockets (and HTTP).</summary>
    public int HttpPort { get; set; }

    /// <summary>The gRPC port (the bridge only).</summary>
    public int GrpcPort { get; set; }

    /// <summary>Reads allocations inside a .NET server; null for the others.</summary>
    public AllocationProbeClient? Probe { get; set; }

    public bool HasExited => _process.HasExited;

    public string RecentOutput
    {
        get
        {
            lock (_lines)
            {
                return string.Join('\n', _lines);
            }
        }
    }

    /// <summary>Starts <c>taskset -c CORE command arguments...</c>.</summary>
    public static ServerProcess Start(string core, string fileName, IEnumerable<string> arguments, IReadOnlyDictionary<string, string?> environment, string workingDirectory)
    {
        var info = new ProcessStartInfo("taskset")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory,
        };
        info.ArgumentList.Add("-c");
        info.ArgumentList.Add(core);
        info.ArgumentList.Add(fileName);
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
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

        var command = string.Join(' ', info.ArgumentList.Prepend("taskset"));
        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        var server = new ServerProcess(process, command);
        process.OutputDataReceived += (_, e) => server.OnLine(e.Data);
        process.ErrorDataReceived += (_, e) => server.OnLine(e.Data is null ? null : "stderr: " + e.Data);
        process.Exited += (_, _) => server._exited.TrySetResult();
        if (!process.Start())
        {
            throw new InvalidOperationException($"could not start {command}");
        }

        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return server;
    }

    /// <summary>Waits for a printed line that matches <paramref name="pattern"/>.</summary>
    public async Task<Match> WaitForLineAsync(Regex pattern, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var found = new TaskCompletionSource<Match>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_lines)
        {
            foreach (var line in _lines)
            {
                if (pattern.Match(line) is { Success: true } match)
                {
                    return match;
                }
            }

            _waiters.Add((pattern, found));
        }

        var first = await Task.WhenAny(found.Task, _exited.Task, Task.Delay(timeout, cancellationToken));
        if (first == found.Task)
        {
            return await found.Task;
        }

        cancellationToken.ThrowIfCancellationRequested();
        throw new InvalidOperationException(
            (first == _exited.Task ? $"`{Command}` exited with {_process.ExitCode}" : $"`{Command}` printed no line matching /{pattern}/ within {timeout.TotalSeconds:0} s") +
            $" before it was ready. Its output:\n{RecentOutput}");
    }

    /// <summary>The server's processes now (itself and any children, such as nginx's worker).</summary>
    public IReadOnlyList<int> Processes() => ProcStats.Tree(Pid);

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        Probe?.Dispose();
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
            }

            await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
        }
        catch (InvalidOperationException)
        {
            // It was never started, or is already gone.
        }
        finally
        {
            _process.Dispose();
        }
    }

    private void OnLine(string? line)
    {
        if (line is null)
        {
            return;
        }

        List<(TaskCompletionSource<Match>, Match)> matched = [];
        lock (_lines)
        {
            _lines.Enqueue(line);
            if (_lines.Count > KeptLines)
            {
                _lines.Dequeue();
            }

            for (var i = _waiters.Count - 1; i >= 0; i--)
            {
                if (_waiters[i].Pattern.Match(line) is { Success: true } match)
                {
                    matched.Add((_waiters[i].Found, match));
                    _waiters.RemoveAt(i);
                }
            }
        }

        foreach (var (found, match) in matched)
        {
            found.TrySetResult(match);
        }
    }
}
