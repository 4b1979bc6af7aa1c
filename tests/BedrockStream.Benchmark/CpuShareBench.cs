namespace BedrockStream.Benchmark;

/// <summary>Everything measured for one variant at one CPU share.</summary>
/// <param name="Warm">Null in a <c>--cold-only</c> run.</param>
internal sealed record ShareResults(Figure ColdStart, Figure ColdFirstChunk, Figure? ColdFirstChunkCpu, Figure? ColdFirstChunkWithInitBurst, RuntimeLayerResults? Warm);

/// <summary>
/// The figures that depend on how much CPU the function gets, at every CPU share of <see cref="BenchmarkSettings.Shares"/>:
/// cold start and cold first chunk (<see cref="ColdBench"/>), warm first byte, per-token latency and resident memory
/// (<see cref="RuntimeLayerBench"/>). Without cgroups only the unlimited share is measured.
/// </summary>
internal sealed class CpuShareBench(FakeModelServer model, ThrowAwayCertificates tls, CpuQuotaCgroups? cgroups, BenchmarkSettings settings, Action<string> log)
{
    /// <summary>The shares that can be measured here: all of them with cgroups, else the unlimited one alone.</summary>
    public IReadOnlyList<CpuShare> Shares => cgroups is null ? [CpuShare.Unlimited] : settings.Shares;

    public async Task<IReadOnlyDictionary<CpuShare, IReadOnlyDictionary<Variant, ShareResults>>> RunAsync(IReadOnlyList<Variant> variants)
    {
        var cold = new ColdBench(model, tls, cgroups, initBurst: !settings.Quick, log);
        var warm = new RuntimeLayerBench(model, tls, cgroups, settings);
        var results = new Dictionary<CpuShare, IReadOnlyDictionary<Variant, ShareResults>>();
        foreach (var share in Shares)
        {
            var samples = settings.ColdSamplesAt(share);
            log($"CPU share {share.Label}: {samples} cold samples per variant and figure" + (settings.ColdOnly ? "" : ", then warm figures at the Runtime API"));
            var coldResults = await cold.RunAsync(variants, share, samples, discardFirstRound: results.Count == 0);
            var warmResults = settings.ColdOnly ? null : await warm.RunAsync(variants, share);
            if (cgroups is not null && share.IsLimited) log($"  quota at {share.Label}: {cgroups.Throttling(share)}");
            results[share] = variants.ToDictionary(v => v, v => new ShareResults(
                coldResults[v].ColdStart, coldResults[v].FirstChunk, coldResults[v].FirstChunkCpu, coldResults[v].FirstChunkWithInitBurst, warmResults?[v]));
        }
        return results;
    }
}
