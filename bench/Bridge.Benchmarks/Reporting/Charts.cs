using Bridge.Benchmarks.Scenarios;
using ScottPlot;

namespace Bridge.Benchmarks.Reporting;

/// <summary>PNG charts of a run (ScottPlot): throughput bars, latency percentile curves, memory per connection.</summary>
internal static class Charts
{
    private static readonly Dictionary<string, Color> ServerColors = new()
    {
        ["bridge"] = Colors.Crimson,
        ["signalr"] = Colors.SteelBlue,
        ["naive"] = Colors.DarkOrange,
        ["raw"] = Colors.SeaGreen,
        ["nchan"] = Colors.MediumPurple,
    };

    /// <summary>Writes the charts the results have data for; returns their file names.</summary>
    public static IReadOnlyList<string> Write(RunReport report, string directory)
    {
        var written = new List<string>();
        var rows = report.Summary();
        if (Bars(rows, "a", Metric.DeliveriesPerSecond, "(a) Broadcast throughput", "deliveries per second (median)", Path.Combine(directory, "throughput.png")))
        {
            written.Add("throughput.png");
        }

        if (LatencyCurves(rows, Path.Combine(directory, "latency-cdf.png"), report.Settings.Rate, report.Settings.Subscribers))
        {
            written.Add("latency-cdf.png");
        }

        if (Bars(rows, "c", Metric.RssPerConnection, "(c) Idle memory per connection", "KiB of server RSS per connection (median)", Path.Combine(directory, "idle-memory.png"), scale: 1.0 / 1024))
        {
            written.Add("idle-memory.png");
        }

        return written;
    }

    private static bool Bars(IReadOnlyList<SummaryRow> all, string scenario, string metric, string title, string axis, string path, double scale = 1)
    {
        var rows = all.Where(r => r.Scenario == scenario && r.Median(metric) is not null).ToList();
        if (rows.Count == 0)
        {
            return false;
        }

        var plot = new Plot();
        var variants = rows.Select(r => r.Variant).Distinct().ToList();
        var servers = rows.Select(r => r.Server).Distinct().ToList();
        var bars = new List<Bar>();
        var ranges = new List<(double Position, double Min, double Max)>();
        var ticks = new List<Tick>();
        for (var v = 0; v < variants.Count; v++)
        {
            var group = v * (servers.Count + 1);
            for (var s = 0; s < servers.Count; s++)
            {
                var row = rows.FirstOrDefault(r => r.Variant == variants[v] && r.Server == servers[s]);
                if (row?.Median(metric) is not { } value)
                {
                    continue;
                }

                var range = row.Range(metric)!.Value;
                bars.Add(new Bar
                {
                    Position = group + s,
                    Value = value * scale,
                    FillColor = ServerColors.GetValueOrDefault(servers[s], Colors.Gray),
                    Label = Tables.Number(value * scale, value * scale >= 100 ? "N0" : "0.0"),
                    ValueBase = 0,
                });
                if (range.Max > range.Min)
                {
                    ranges.Add((group + s, range.Min * scale, range.Max * scale));
                }
            }

            ticks.Add(new Tick(group + ((servers.Count - 1) / 2.0), variants[v].Length > 0 ? variants[v] : " "));
        }

        var barPlot = plot.Add.Bars(bars);
        barPlot.ValueLabelStyle.FontSize = 11;
        foreach (var (position, min, max) in ranges)
        {
            // The range over the repetitions: a whisker from the lowest to the highest.
            foreach (var (x1, y1, x2, y2) in new[] { (position, min, position, max), (position - 0.12, min, position + 0.12, min), (position - 0.12, max, position + 0.12, max) })
            {
                var whisker = plot.Add.Line(x1, y1, x2, y2);
                whisker.Color = Colors.Black;
                whisker.LineWidth = 1.5f;
                whisker.MarkerSize = 0;
            }
        }

        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual([.. ticks]);
        plot.Axes.Bottom.MajorTickStyle.Length = 0;
        plot.Axes.Margins(bottom: 0, top: 0.15);
        plot.Title(title);
        plot.YLabel(axis);
        foreach (var server in servers)
        {
            plot.Legend.ManualItems.Add(new LegendItem { LabelText = server, FillColor = ServerColors.GetValueOrDefault(server, Colors.Gray) });
        }

        plot.Legend.Alignment = Alignment.UpperRight;
        plot.ShowLegend();
        plot.SavePng(path, 900, 520);
        return true;
    }

    private static bool LatencyCurves(IReadOnlyList<SummaryRow> all, string path, int rate, int subscribers)
    {
        var rows = all.Where(r => r.Scenario == "b").ToList();
        var plot = new Plot();
        var any = false;
        foreach (var row in rows)
        {
            if (row.MedianRun(Metric.LatencyP99)?.Latency is not { TotalCount: > 0 } latency)
            {
                continue;
            }

            var curve = JsonReport.Curve(latency).Where(p => p[0] < 100).ToArray();
            // x: "nines" (-log10 of the fraction above); y: log10 of microseconds.
            var xs = curve.Select(p => -Math.Log10(1 - (p[0] / 100))).ToArray();
            var ys = curve.Select(p => Math.Log10(Math.Max(1, p[1]))).ToArray();
            var line = plot.Add.ScatterLine(xs, ys);
            line.LegendText = row.Server;
            line.Color = ServerColors.GetValueOrDefault(row.Server, Colors.Gray);
            line.LineWidth = 2;
            any = true;
        }

        if (!any)
        {
            return false;
        }

        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(
            [new Tick(0, "0%"), new Tick(1, "90%"), new Tick(2, "99%"), new Tick(3, "99.9%"), new Tick(4, "99.99%")]);
        plot.Axes.Left.TickGenerator = new ScottPlot.TickGenerators.NumericManual(
            [new Tick(0, "1 µs"), new Tick(1, "10 µs"), new Tick(2, "100 µs"), new Tick(3, "1 ms"), new Tick(4, "10 ms"), new Tick(5, "100 ms"), new Tick(6, "1 s")]);
        plot.Title($"(b) Publish→receive latency at {rate:N0} msg/s × {subscribers:N0} subscribers");
        plot.XLabel("percentile");
        plot.YLabel("latency (log scale)");
        plot.Legend.Alignment = Alignment.UpperLeft;
        plot.ShowLegend();
        plot.SavePng(path, 900, 520);
        return true;
    }
}
