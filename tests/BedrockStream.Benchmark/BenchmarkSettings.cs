namespace BedrockStream.Benchmark;

/// <summary>
/// How much to measure: the full run (about 15 minutes on 2 cores once everything is published and installed; the
/// sample counts are cut to fit that, most at the smallest CPU shares) or
/// <c>--quick</c> (a couple of minutes, for the smoke test: every code path once, few samples).
/// </summary>
/// <param name="Prepare">Only publish and install the variants (what .ci/run does ahead of the tests), measure nothing.</param>
/// <param name="ReferenceCommits">The earlier commits whose function is measured beside the current one (none: empty).</param>
/// <param name="IncludePeers">Measure the Python and Node.js peers (<c>--no-peers</c> leaves them out, for a quicker look at the template alone).</param>
/// <param name="ColdOnly">Only the cold figures at each share (<c>--cold-only</c>): no warm figures, no soak, no cost table.</param>
/// <param name="Shares">The CPU shares measured with a cgroup quota, largest first; the unlimited one always comes first.</param>
/// <param name="ColdSamples">Cold samples per variant and figure with the whole machine.</param>
/// <param name="ColdSamplesLimited">The same under a CPU quota of 512 MB or more, where each sample takes share⁻¹ times as long.</param>
/// <param name="ColdSamplesSmall">The same at 128 and 256 MB, where a Python or Node.js cold start alone takes seconds.</param>
/// <param name="ShareFirstByteSamples">Warm first-byte samples per variant at each CPU share.</param>
/// <param name="ShareTokenAnswers">Answers of <paramref name="TokensPerAnswer"/> tokens per variant at each CPU share.</param>
internal sealed record BenchmarkSettings(
    bool Quick,
    bool Prepare,
    bool IncludeReadyToRun,
    IReadOnlyList<string> ReferenceCommits,
    IReadOnlyList<CpuShare> Shares,
    int WarmUp,
    int ColdSamples,
    int ColdSamplesLimited,
    int ColdSamplesSmall,
    int FirstByteSamples,
    int ShareFirstByteSamples,
    double TokenRate,
    int TokensPerAnswer,
    int TokenAnswers,
    int ShareTokenAnswers,
    double ThroughputMegabytes,
    int ThroughputRuns,
    int SoakEarly,
    int SoakLate,
    bool IncludePeers = true,
    bool ColdOnly = false)
{
    /// <summary>The commit whose function later changes are compared with (the reference point).</summary>
    public const string DefaultReferenceCommit = "befb48b";

    private static readonly CpuShare[] LambdaSizes =
        [CpuShare.Unlimited, new(1769), new(1024), new(512), new(256), new(128)];

    public static readonly BenchmarkSettings Full = new(false, false, true, [DefaultReferenceCommit], LambdaSizes,
        WarmUp: 200, ColdSamples: 12, ColdSamplesLimited: 5, ColdSamplesSmall: 3, FirstByteSamples: 300, ShareFirstByteSamples: 30,
        TokenRate: 200, TokensPerAnswer: 100, TokenAnswers: 8, ShareTokenAnswers: 2,
        ThroughputMegabytes: 50, ThroughputRuns: 5, SoakEarly: 1_000, SoakLate: 10_000);

    /// <summary>Every code path once (a cgroup, HTTPS, every peer, the reference build), few samples; no ReadyToRun publish.</summary>
    public static readonly BenchmarkSettings QuickRun = new(true, false, false, [DefaultReferenceCommit], [CpuShare.Unlimited, new(1024)],
        WarmUp: 20, ColdSamples: 3, ColdSamplesLimited: 2, ColdSamplesSmall: 2, FirstByteSamples: 30, ShareFirstByteSamples: 10,
        TokenRate: 200, TokensPerAnswer: 50, TokenAnswers: 2, ShareTokenAnswers: 1,
        ThroughputMegabytes: 10, ThroughputRuns: 2, SoakEarly: 100, SoakLate: 1_000);

    /// <summary>Cold samples per variant and figure at <paramref name="share"/>: fewer where each takes longer.</summary>
    public int ColdSamplesAt(CpuShare share) =>
        !share.IsLimited ? ColdSamples : share.MemoryMb >= 512 ? ColdSamplesLimited : ColdSamplesSmall;

    public const string Usage = "options: --quick, --prepare, --r2r, --no-r2r, --reference <commit> (repeatable), --no-reference, "
        + "--no-peers, --cold-only, --shares <MB,MB,...> (e.g. 128,256; the unlimited share is always measured)";

    public static BenchmarkSettings Parse(string[] args)
    {
        var settings = args.Contains("--quick") ? QuickRun : Full;
        var references = new List<string>();
        for (var i = 0; i < args.Length; i++)
            settings = args[i] switch
            {
                "--quick" => settings,
                "--prepare" => settings with { Prepare = true },
                "--no-r2r" => settings with { IncludeReadyToRun = false },
                "--r2r" => settings with { IncludeReadyToRun = true },
                "--no-reference" => settings with { ReferenceCommits = [] },
                "--reference" when i + 1 < args.Length => settings with { ReferenceCommits = Added(references, args[++i]) },
                "--no-peers" => settings with { IncludePeers = false },
                "--cold-only" => settings with { ColdOnly = true },
                "--shares" when i + 1 < args.Length => settings with { Shares = ParseShares(args[++i]) },
                _ => throw new ArgumentException($"unknown option '{args[i]}' ({Usage})"),
            };
        return settings;

        // Every --reference adds to a list of its own: the default commit stays only when none is given.
        static IReadOnlyList<string> Added(List<string> list, string commit)
        {
            list.Add(commit);
            return [.. list];
        }

        static IReadOnlyList<CpuShare> ParseShares(string list) =>
        [
            CpuShare.Unlimited,
            .. list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                .Select(mb => int.TryParse(mb, System.Globalization.CultureInfo.InvariantCulture, out var value) && value is >= 128 and <= 10240
                    ? new CpuShare(value)
                    : throw new ArgumentException($"--shares: '{mb}' is not a Lambda memory size in MB (128-10240) ({Usage})"))
                .Distinct().OrderByDescending(s => s.MemoryMb),
        ];
    }
}
