using System.Diagnostics;
using System.Globalization;

namespace Bridge.Benchmarks.Infrastructure;

/// <summary>Progress lines on standard output, each stamped with the time since the run started.</summary>
internal sealed class BenchConsole
{
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly Lock _gate = new();

    public TimeSpan Elapsed => _clock.Elapsed;

    public void Line(string text)
    {
        lock (_gate)
        {
            Console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture, $"[{_clock.Elapsed:mm\\:ss}] {text}"));
            Console.Out.Flush();
        }
    }

    public static string Rate(double perSecond) => perSecond switch
    {
        >= 1e6 => string.Create(CultureInfo.InvariantCulture, $"{perSecond / 1e6:0.00}M"),
        >= 1e3 => string.Create(CultureInfo.InvariantCulture, $"{perSecond / 1e3:0.0}k"),
        _ => string.Create(CultureInfo.InvariantCulture, $"{perSecond:0}"),
    };
}
