namespace BedrockStream.Benchmark;

/// <summary>Everything measured for one variant with the whole machine's CPU.</summary>
/// <param name="Unlimited">The cold figures and the warm figures at the Runtime API, at the unlimited CPU share (Bedrock over HTTPS).</param>
/// <param name="Warm">The figures through the local host (Bedrock over plain HTTP).</param>
internal sealed record VariantResults(Variant Variant, ShareResults Unlimited, WarmResults Warm, double ZipMegabytes);

/// <summary>The main table: every figure of PRODUCT.md §7 with the whole machine, against its target where it has one.</summary>
internal static class ResultTable
{
    public static IReadOnlyList<Row<VariantResults>> Rows(BenchmarkSettings s) =>
    [
        new("added latency per token, ms (model send → client via local host)", "p50 ≤ 0.3, p99 ≤ 1",
            r => r.Warm.TokenLatency, (v, r) => v.IsTemplateFunction ? r.Warm.TokenLatency is { P50: <= 0.3, P99: <= 1 } : null, "0.000"),
        new("  same, at the Runtime API [own listener, HTTPS]", "",
            r => r.Unlimited.Warm!.TokenLatency, Row<VariantResults>.NoTarget, "0.000"),
        new("first byte warm, ms (/next hand-out → client headers)", "≤ 2",
            r => r.Warm.FirstByte, (v, r) => v.IsTemplateFunction ? r.Warm.FirstByte.P50 <= 2 : null),
        new("  same, /next sent → prelude at the Runtime API [own listener, HTTPS]", "",
            r => r.Unlimited.Warm!.FirstByte, Row<VariantResults>.NoTarget),
        new("cold start, ms (process start → first /next) [own listener]", "AOT ≤ 10, R2R ≤ 150",
            r => r.Unlimited.ColdStart, (v, r) => v.IsTemplateFunction ? r.Unlimited.ColdStart.P50 <= (v.NativeAot ? 10 : 150) : null, "0.0"),
        new("cold first chunk, ms (process start → first chunk, HTTPS) [own listener]", "AOT ≤ 20",
            r => r.Unlimited.ColdFirstChunk, (v, r) => v.NativeAot ? r.Unlimited.ColdFirstChunk.P50 <= 20 : null, "0.0"),
        new("relay throughput, MB/s (median / worst run)", "≥ 100",
            r => r.Warm.Throughput, (v, r) => v.IsTemplateFunction ? r.Warm.Throughput.P50 >= 100 : null, "0"),
        new($"RSS @ {s.SoakEarly:N0} invocations, MB", "",
            r => Figure.Single(r.Warm.Soak.RssEarly), Row<VariantResults>.NoTarget, "0.0"),
        new($"RSS @ {s.SoakLate:N0} invocations, MB", "AOT ≤ 40",
            r => Figure.Single(r.Warm.Soak.RssLate), (v, r) => v.NativeAot ? r.Warm.Soak.RssLate <= 40 : null, "0.0"),
        new($"RSS growth {s.SoakEarly:N0} → {s.SoakLate:N0}, MB", "< 5",
            r => Figure.Single(r.Warm.Soak.RssLate - r.Warm.Soak.RssEarly),
            // Judged from the 1,000th invocation on (the target's definition): before that the GC heap is still
            // growing to its working size, which the quick run's early checkpoint (100) would count as growth.
            (v, r) => s.SoakEarly >= 1_000 && v.IsTemplateFunction ? r.Warm.Soak.RssLate - r.Warm.Soak.RssEarly < 5 : null, "0.0", Ratios.None),
        new($"open fds @ {s.SoakLate:N0} (growth since {s.SoakEarly:N0})", "no growth",
            r => Figure.Single(r.Warm.Soak.FdsLate), (v, r) => v.IsTemplateFunction ? r.Warm.Soak.FdsLate <= r.Warm.Soak.FdsEarly : null, "0"),
        new("failed invocations", "0",
            r => Figure.Single(r.Warm.Soak.Failed), (v, r) => v.IsTemplateFunction ? r.Warm.Soak.Failed == 0 : null, "0"),
        new("artifact zip, MB", "AOT ≤ 15",
            r => Figure.Single(r.ZipMegabytes), (v, r) => v.NativeAot ? r.ZipMegabytes <= 15 : null, "0.00", Ratios.NotToPeers),
    ];

    public static string Render(BenchmarkSettings settings, IReadOnlyList<VariantResults> results) =>
        FigureTable.Render(results.Select(r => r.Variant).ToList(), v => results.Single(r => r.Variant == v), Rows(settings), withTargets: true);
}
