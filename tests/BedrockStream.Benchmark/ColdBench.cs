using System.Diagnostics;

namespace BedrockStream.Benchmark;

/// <summary>
/// Cold start (process start → first <c>/next</c>) and cold first chunk (process start with an invocation
/// waiting → first body byte after the prelude), each sample a fresh process against <see cref="OwnRuntimeApi"/>,
/// with Bedrock over HTTPS (the first call's TLS handshake and chain check are part of the first chunk, as on
/// Lambda), at one CPU share.
/// </summary>
internal sealed class ColdBench(FakeModelServer model, ThrowAwayCertificates tls, CpuQuotaCgroups? cgroups, Action<string> log)
{
    private static readonly TimeSpan SampleTimeoutAtFullSpeed = TimeSpan.FromSeconds(20);

    /// <summary>
    /// Samples interleaved across variants and across the two figures, so that a burst of load from other work on the
    /// machine hits all alike. <paramref name="discardFirstRound"/>: the first exec of a binary pays for reading it from
    /// disk, which only the first share measured needs to absorb.
    /// </summary>
    public async Task<IReadOnlyDictionary<Variant, (Figure ColdStart, Figure FirstChunk)>> RunAsync(
        IReadOnlyList<Variant> variants, CpuShare share, int samples, bool discardFirstRound)
    {
        await using var api = new OwnRuntimeApi();
        model.Scenario = ModelScenario.Short;
        var env = LambdaEnvironment.For(api.HostAndPort, model.SecureEndpoint, share, tls.TrustEnvironment);
        var invocation = LambdaEnvironment.FunctionUrlEvent("cold");
        var coldStart = variants.ToDictionary(v => v, _ => new List<double>());
        var firstChunk = variants.ToDictionary(v => v, _ => new List<double>());
        var timeout = share.Timeout(SampleTimeoutAtFullSpeed);

        for (var i = discardFirstRound ? -1 : 0; i < samples; i++)
            foreach (var v in variants)
            {
                var start = await SampleAsync(v, v.StartInfo(env, cgroups, share), api.Arm(null), p => p.FirstPoll.Task, timeout);
                var chunk = await SampleAsync(v, v.StartInfo(env, cgroups, share), api.Arm(invocation), p => p.Invocation!.FirstChunk.Task, timeout);
                if (i < 0) continue;
                coldStart[v].Add(start);
                firstChunk[v].Add(chunk);
            }
        foreach (var v in variants)
            log($"  {v.Name} @ {share.Label}: cold start p50 {Figure.Of(coldStart[v]).P50:0.0} ms, cold first chunk p50 {Figure.Of(firstChunk[v]).P50:0.0} ms");
        return variants.ToDictionary(v => v, v => (Figure.Of(coldStart[v]), Figure.Of(firstChunk[v])));
    }

    private static async Task<double> SampleAsync(Variant variant, ProcessStartInfo info, ColdProbe probe, Func<ColdProbe, Task<long>> observed, TimeSpan timeout)
    {
        var output = new OutputTail();
        var started = Stopwatch.GetTimestamp();
        var process = ChildProcesses.Start(info, output.Add);
        try
        {
            var exited = process.WaitForExitAsync();
            var at = observed(probe);
            if (await Task.WhenAny(at, exited, Task.Delay(timeout)) != at)
                throw new InvalidOperationException($"{variant.Name} "
                    + (exited.IsCompleted ? $"exited with {process.ExitCode}" : $"timed out after {timeout.TotalSeconds:0} s")
                    + $" during a cold sample; its last output:\n{output}");
            return Time.Ms(started, await at);
        }
        finally
        {
            ChildProcesses.Stop(process);
        }
    }
}
