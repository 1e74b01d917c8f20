using System.Globalization;

namespace Bridge.Benchmarks.Infrastructure;

/// <summary>CPU time and resident memory of a process and its descendants, from /proc.</summary>
internal static class ProcStats
{
    /// <summary>Kernel clock ticks per second (<c>sysconf(_SC_CLK_TCK)</c>, 100 on Linux).</summary>
    private const double TicksPerSecond = 100;

    /// <summary>A process and every descendant still alive.</summary>
    public static IReadOnlyList<int> Tree(int root)
    {
        var children = new Dictionary<int, List<int>>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
            {
                continue;
            }

            var stat = ReadStat(pid);
            if (stat is not null && int.TryParse(stat[1], NumberStyles.None, CultureInfo.InvariantCulture, out var parent))
            {
                if (!children.TryGetValue(parent, out var list))
                {
                    children[parent] = list = [];
                }

                list.Add(pid);
            }
        }

        var tree = new List<int> { root };
        for (var i = 0; i < tree.Count; i++)
        {
            if (children.TryGetValue(tree[i], out var list))
            {
                tree.AddRange(list);
            }
        }

        return tree;
    }

    /// <summary>User plus system CPU time of the processes, in seconds.</summary>
    public static double CpuSeconds(IEnumerable<int> pids)
    {
        double ticks = 0;
        foreach (var pid in pids)
        {
            if (ReadStat(pid) is { } stat)
            {
                // After "pid (comm)": state ppid ... utime is field 14 of stat, index 11 after comm.
                ticks += double.Parse(stat[11], CultureInfo.InvariantCulture) + double.Parse(stat[12], CultureInfo.InvariantCulture);
            }
        }

        return ticks / TicksPerSecond;
    }

    /// <summary>
    /// User plus system CPU time of the whole machine, in seconds (from /proc/stat, all cores): what
    /// processes are charged, comparable with <see cref="CpuSeconds"/>. Interrupt time is left out.
    /// </summary>
    public static double MachineCpuSeconds()
    {
        using var reader = new StreamReader("/proc/stat");
        var fields = reader.ReadLine()!.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        // cpu user nice system idle iowait irq softirq steal ...
        var ticks = double.Parse(fields[1], CultureInfo.InvariantCulture) + double.Parse(fields[2], CultureInfo.InvariantCulture) + double.Parse(fields[3], CultureInfo.InvariantCulture);
        return ticks / TicksPerSecond;
    }

    /// <summary>Resident set size (VmRSS) of the processes added up, in bytes.</summary>
    public static long RssBytes(IEnumerable<int> pids)
    {
        long total = 0;
        foreach (var pid in pids)
        {
            try
            {
                foreach (var line in File.ReadLines($"/proc/{pid}/status"))
                {
                    if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                    {
                        var kilobytes = line["VmRSS:".Length..].Trim().Split(' ')[0];
                        total += long.Parse(kilobytes, CultureInfo.InvariantCulture) * 1024;
                        break;
                    }
                }
            }
            catch (IOException)
            {
                // The process is gone.
            }
        }

        return total;
    }

    /// <summary>Fields of /proc/PID/stat after the command name; null when the process is gone.</summary>
    private static string[]? ReadStat(int pid)
    {
        try
        {
            var text = File.ReadAllText($"/proc/{pid}/stat");
            var close = text.LastIndexOf(')');
            return text[(close + 2)..].Split(' ');
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
