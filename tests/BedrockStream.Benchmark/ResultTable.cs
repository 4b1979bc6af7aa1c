using System.Globalization;
using System.Text;

namespace BedrockStream.Benchmark;

/// <summary>Everything measured for one variant.</summary>
internal sealed record VariantResults(Variant Variant, Figure ColdStart, Figure ColdFirstChunk, RuntimeLayerResults Direct, WarmResults Warm, double ZipMegabytes);

/// <summary>One line of the table: how to read the figure from a variant's results, and whether a target is met.</summary>
/// <param name="Comparable">False where a ratio to the baseline means nothing (its artifact holds no interpreter).</param>
internal sealed record Row(string Label, string Target, Func<VariantResults, Figure> Value, Func<VariantResults, bool?> Meets, string Format = "0.00", bool Comparable = true);

/// <summary>The benchmark's output: a Markdown table of absolute values (p50 / p99) and ratios to the baseline.</summary>
internal static class ResultTable
{
    public static IReadOnlyList<Row> Rows(BenchmarkSettings s) =>
    [
        new("added latency per token, ms (model send → client via local host)", "p50 ≤ 0.3, p99 ≤ 1",
            r => r.Warm.TokenLatency, r => NotBaseline(r, () => r.Warm.TokenLatency is { P50: <= 0.3, P99: <= 1 }), "0.000"),
        new("  same, at the Runtime API [own listener]", "",
            r => r.Direct.TokenLatency, _ => null, "0.000"),
        new("first byte warm, ms (/next hand-out → client headers)", "≤ 2",
            r => r.Warm.FirstByte, r => NotBaseline(r, () => r.Warm.FirstByte.P50 <= 2)),
        new("  same, /next sent → prelude at the Runtime API [own listener]", "",
            r => r.Direct.FirstByte, _ => null),
        new("cold start, ms (process start → first /next) [own listener]", "AOT ≤ 10, R2R ≤ 150",
            r => r.ColdStart, r => r.Variant.Name switch { "AOT" => r.ColdStart.P50 <= 10, "ReadyToRun" => r.ColdStart.P50 <= 150, _ => null }, "0.0"),
        new("cold first chunk, ms (process start → first chunk) [own listener]", "AOT ≤ 20",
            r => r.ColdFirstChunk, r => r.Variant.Name == "AOT" ? r.ColdFirstChunk.P50 <= 20 : null, "0.0"),
        new("relay throughput, MB/s (median / worst run)", "≥ 100",
            r => r.Warm.Throughput, r => NotBaseline(r, () => r.Warm.Throughput.P50 >= 100), "0"),
        new($"RSS @ {s.SoakEarly:N0} invocations, MB", "",
            r => Figure.Single(r.Warm.Soak.RssEarly), _ => null, "0.0"),
        new($"RSS @ {s.SoakLate:N0} invocations, MB", "AOT ≤ 40",
            r => Figure.Single(r.Warm.Soak.RssLate), r => r.Variant.Name == "AOT" ? r.Warm.Soak.RssLate <= 40 : null, "0.0"),
        new($"RSS growth {s.SoakEarly:N0} → {s.SoakLate:N0}, MB", "< 5",
            r => Figure.Single(r.Warm.Soak.RssLate - r.Warm.Soak.RssEarly), 
            // Judged from the 1,000th invocation on (the target's definition): before that the GC heap is still
            // growing to its working size, which the quick run's early checkpoint (100) would count as growth.
            r => s.SoakEarly >= 1_000 ? NotBaseline(r, () => r.Warm.Soak.RssLate - r.Warm.Soak.RssEarly < 5) : null, "0.0"),
        new($"open fds @ {s.SoakLate:N0} (growth since {s.SoakEarly:N0})", "no growth",
            r => Figure.Single(r.Warm.Soak.FdsLate), r => NotBaseline(r, () => r.Warm.Soak.FdsLate <= r.Warm.Soak.FdsEarly), "0"),
        new("failed invocations", "0",
            r => Figure.Single(r.Warm.Soak.Failed), r => NotBaseline(r, () => r.Warm.Soak.Failed == 0), "0"),
        new("artifact zip, MB", "AOT ≤ 15",
            r => Figure.Single(r.ZipMegabytes), r => r.Variant.Name == "AOT" ? r.ZipMegabytes <= 15 : null, "0.00", Comparable: false),
    ];

    public static string Render(BenchmarkSettings settings, IReadOnlyList<VariantResults> results)
    {
        var baseline = results.Single(r => r.Variant.IsBaseline);
        var others = results.Where(r => !r.Variant.IsBaseline).ToList();
        var header = new List<string> { "figure", "target" };
        header.AddRange(results.Select(r => r.Variant.Name));
        header.AddRange(others.Select(r => $"{r.Variant.Name} ÷ baseline"));
        header.Add("met");

        var lines = new List<List<string>> { header };
        foreach (var row in Rows(settings))
        {
            var cells = new List<string> { row.Label, row.Target };
            cells.AddRange(results.Select(r => Cell(row.Value(r), row.Format)));
            cells.AddRange(others.Select(r => row.Comparable ? Ratio(row.Value(r), row.Value(baseline)) : "n/a"));
            cells.Add(string.Join(", ", others.Select(r => row.Meets(r) switch { true => $"{r.Variant.Name} yes", false => $"{r.Variant.Name} NO", null => null }).OfType<string>()) is { Length: > 0 } met ? met : "–");
            lines.Add(cells);
        }

        var widths = Enumerable.Range(0, header.Count).Select(c => lines.Max(l => l[c].Length)).ToArray();
        var text = new StringBuilder();
        for (var i = 0; i < lines.Count; i++)
        {
            text.Append("| ").AppendJoin(" | ", lines[i].Select((cell, c) => cell.PadRight(widths[c]))).AppendLine(" |");
            if (i == 0) text.Append('|').AppendJoin('|', widths.Select(w => new string('-', w + 2))).AppendLine("|");
        }
        return text.ToString();
    }

    private static bool? NotBaseline(VariantResults r, Func<bool> check) => r.Variant.IsBaseline ? null : check();

    private static string Cell(Figure f, string format) =>
        f.P99 is { } p99 ? $"{Num(f.P50, format)} / {Num(p99, format)}" : Num(f.P50, format);

    private static string Ratio(Figure value, Figure baseline)
    {
        static string One(double v, double b) => b == 0 ? (v == 0 ? "1×" : "–") : (v / b).ToString(v / b < 0.1 ? "0.000" : "0.00", CultureInfo.InvariantCulture) + "×";
        return value.P99 is { } p99 && baseline.P99 is { } b99 ? $"{One(value.P50, baseline.P50)} / {One(p99, b99)}" : One(value.P50, baseline.P50);
    }

    private static string Num(double v, string format) => v.ToString(format, CultureInfo.InvariantCulture);
}
