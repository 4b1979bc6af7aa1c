namespace BedrockStream.Benchmark;

/// <summary>How much to measure: the full run (a few minutes) or <c>--quick</c> (under a minute, for the smoke test).</summary>
internal sealed record BenchmarkSettings(
    bool Quick,
    bool IncludeReadyToRun,
    int WarmUp,
    int ColdSamples,
    int FirstByteSamples,
    double TokenRate,
    int TokensPerAnswer,
    int TokenAnswers,
    double ThroughputMegabytes,
    int ThroughputRuns,
    int SoakEarly,
    int SoakLate)
{
    public static readonly BenchmarkSettings Full = new(false, true, WarmUp: 200, ColdSamples: 20, FirstByteSamples: 300,
        TokenRate: 200, TokensPerAnswer: 200, TokenAnswers: 8, ThroughputMegabytes: 50, ThroughputRuns: 5, SoakEarly: 1_000, SoakLate: 10_000);

    /// <summary>Same figures, fewer samples; no ReadyToRun publish (the slowest step).</summary>
    public static readonly BenchmarkSettings QuickRun = new(true, false, WarmUp: 30, ColdSamples: 5, FirstByteSamples: 50,
        TokenRate: 200, TokensPerAnswer: 100, TokenAnswers: 2, ThroughputMegabytes: 10, ThroughputRuns: 2, SoakEarly: 100, SoakLate: 1_000);

    public static BenchmarkSettings Parse(string[] args)
    {
        var settings = args.Contains("--quick") ? QuickRun : Full;
        foreach (var arg in args)
            settings = arg switch
            {
                "--quick" => settings,
                "--no-r2r" => settings with { IncludeReadyToRun = false },
                "--r2r" => settings with { IncludeReadyToRun = true },
                _ => throw new ArgumentException($"unknown option '{arg}' (options: --quick, --r2r, --no-r2r)"),
            };
        return settings;
    }
}
