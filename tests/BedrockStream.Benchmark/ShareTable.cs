using System.Globalization;

namespace BedrockStream.Benchmark;

/// <summary>
/// The figures by CPU share (memory size): each figure at every share measured, the function alone in its
/// share's cgroup, talking to the Runtime API listener and to Bedrock over HTTPS.
/// </summary>
internal static class ShareTable
{
    /// <param name="Value">Null where the run did not take the figure (a <c>--cold-only</c> run, no /proc schedstat).</param>
    private sealed record ShareFigure(string Label, string Format, Func<ShareResults, Figure?> Value);

    private static readonly ShareFigure[] Figures =
    [
        new("cold start, ms (process start → first /next)", "0.0", r => r.ColdStart),
        new("cold first chunk, ms (process start → first chunk)", "0.0", r => r.ColdFirstChunk),
        new("  CPU time used by then, ms (all threads)", "0.0", r => r.ColdFirstChunkCpu),
        new("  same, Init phase at full speed (Lambda's on-demand init), ms", "0.0", r => r.ColdFirstChunkWithInitBurst),
        new("first byte warm, ms (/next sent → prelude)", "0.00", r => r.Warm?.FirstByte),
        new("added latency per token, ms (model send → Runtime API)", "0.000", r => r.Warm?.TokenLatency),
        new("RSS after the share's invocations, MB", "0.0", r => r.Warm is { } warm ? Figure.Single(warm.RssMegabytes) : null),
    ];

    /// <summary>Row labels end with " @ " + the share's label, e.g. "cold start, ms (…) @ 128 MB (0.072 vCPU)".</summary>
    public static string Render(IReadOnlyList<Variant> variants, IReadOnlyDictionary<CpuShare, IReadOnlyDictionary<Variant, ShareResults>> results)
    {
        var rows = Figures.SelectMany(f => results.Keys
            .Where(share => variants.All(v => f.Value(results[share][v]) is not null))
            .Select(share => new Row<Variant>(
                string.Create(CultureInfo.InvariantCulture, $"{f.Label} @ {share.Label}"), "",
                v => f.Value(results[share][v])!.Value, Row<Variant>.NoTarget, f.Format)));
        return FigureTable.Render(variants, v => v, rows, withTargets: false);
    }
}
