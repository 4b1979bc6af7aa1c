using System.Globalization;

namespace BedrockStream.Benchmark;

/// <summary>The answer whose cost is computed: its tokens and how fast the model streams them.</summary>
internal sealed record AnswerScenario(int InputTokens, int OutputTokens, double TokensPerSecond)
{
    /// <summary>A chat answer of a few paragraphs at a typical streaming rate for a small model.</summary>
    public static readonly AnswerScenario Typical = new(200, 500, 50);

    /// <summary>How long the function streams while the model generates (the model's time to first token left out).</summary>
    public double StreamingSeconds => OutputTokens / TokensPerSecond;

    /// <summary>Amazon Nova 2 Lite's price for one answer.</summary>
    public double ModelCost => InputTokens / 1000.0 * Prices.NovaLiteInputPer1k + OutputTokens / 1000.0 * Prices.NovaLiteOutputPer1k;
}

/// <summary>
/// The cost of 1,000 answers per memory size and architecture, from the published prices (<see cref="Prices"/>) and
/// the overheads measured at that size's CPU share. A warm answer is billed for the model's streaming time plus the
/// function's warm first byte and the last token's added latency (p50s); 1% of the answers are cold and add their
/// cold first chunk minus the warm first byte (the INIT phase and the first call's TLS handshake).
/// The x86_64 figures are measured here; arm64 is priced with the same durations (not measured on Arm). A size whose
/// CPU share was not measured (the quick run, or no cgroups) is priced with the unlimited share's overheads, and says so.
/// </summary>
internal static class CostTable
{
    private static readonly int[] MemorySizes = [128, 256, 512, 1024, 1769];

    public static string Render(IReadOnlyList<Variant> variants, IReadOnlyDictionary<CpuShare, IReadOnlyDictionary<Variant, ShareResults>> results, AnswerScenario answer)
    {
        var header = new List<string> { "memory", "arch", "CPU figures from" };
        header.AddRange(variants.Select(v => v.Name));
        header.Add("model (Nova 2 Lite)");
        var rows = new List<IReadOnlyList<string>>();
        foreach (var memory in MemorySizes)
        {
            var share = results.Keys.FirstOrDefault(s => s.MemoryMb == memory) ?? CpuShare.Unlimited;
            foreach (var (arch, perGbSecond) in new[] { ("x86_64", Prices.LambdaX86PerGbSecond), ("arm64", Prices.LambdaArmPerGbSecond) })
            {
                var cells = new List<string> { $"{memory:N0} MB", arch, share.IsLimited ? share.Label : "unlimited (size not measured)" };
                cells.AddRange(variants.Select(v => Usd(PerThousand(results[share][v], memory, perGbSecond, answer))));
                cells.Add(Usd(1000 * answer.ModelCost));
                rows.Add(cells);
            }
        }
        return MarkdownTable.Render(header, rows);
    }

    /// <summary>USD for 1,000 answers: requests + GB-seconds of the warm answers + the extra GB-seconds of the cold ones.</summary>
    public static double PerThousand(ShareResults r, int memoryMb, double perGbSecond, AnswerScenario answer)
    {
        var warmSeconds = answer.StreamingSeconds + (r.Warm!.FirstByte.P50 + r.Warm.TokenLatency.P50) / 1000;
        var coldExtraSeconds = Math.Max(0, r.ColdFirstChunk.P50 - r.Warm.FirstByte.P50) / 1000;
        var gigabytes = memoryMb / 1024.0; // Lambda's GB-second: configured MB / 1,024 × seconds (pricing page examples)
        var perAnswer = Prices.LambdaPerRequest + gigabytes * perGbSecond * (warmSeconds + Prices.ColdStartShare * coldExtraSeconds);
        return 1000 * perAnswer;
    }

    private static string Usd(double value) => "$" + value.ToString(value < 0.1 ? "0.00000" : value < 1 ? "0.0000" : "0.000", CultureInfo.InvariantCulture);
}
