using System.Diagnostics;

namespace BedrockStream.Benchmark;

/// <summary>
/// Cold start (process start → first <c>/next</c>) and cold first chunk (process start with an invocation
/// waiting → first body byte after the prelude), each sample a fresh process against <see cref="OwnRuntimeApi"/>,
/// with Bedrock over HTTPS (the first call's TLS handshake and chain check are part of the first chunk, as on
/// Lambda), at one CPU share.
/// </summary>
/// <param name="initBurst">Also take the first chunk with the Init phase at full speed at the limited shares (not in the quick run, which keeps its length).</param>
internal sealed class ColdBench(FakeModelServer model, ThrowAwayCertificates tls, CpuQuotaCgroups? cgroups, bool initBurst, Action<string> log)
{
    private static readonly TimeSpan SampleTimeoutAtFullSpeed = TimeSpan.FromSeconds(20);

    /// <summary>
    /// Samples interleaved across variants and across the two figures, so that a burst of load from other work on the
    /// machine hits all alike. <paramref name="discardFirstRound"/>: the first exec of a binary pays for reading it from
    /// disk, which only the first share measured needs to absorb.
    /// </summary>
    public async Task<IReadOnlyDictionary<Variant, ColdResults>> RunAsync(
        IReadOnlyList<Variant> variants, CpuShare share, int samples, bool discardFirstRound)
    {
        await using var api = new OwnRuntimeApi();
        model.Scenario = ModelScenario.Short;
        var env = LambdaEnvironment.For(api.HostAndPort, model.SecureEndpoint, share, tls.TrustEnvironment);
        var invocation = LambdaEnvironment.FunctionUrlEvent("cold");
        var coldStart = variants.ToDictionary(v => v, _ => new List<double>());
        var firstChunk = variants.ToDictionary(v => v, _ => new List<double>());
        var firstChunkCpu = variants.ToDictionary(v => v, _ => new List<double>());
        var burst = variants.ToDictionary(v => v, _ => new List<double>());
        // Lambda runs an on-demand function's Init phase (up to its first /next) at full speed whatever the memory size
        // ("On-demand Lambda functions use a full vCPU (non-throttled) but is limited to 10 seconds during its
        // initialization phase", https://serverlessland.com/content/service/lambda/guides/effectively-running-java-on-serverless/init-heavy-lifting);
        // this figure starts the process without a quota and moves it into its share's group at that first /next.
        var withBurst = initBurst && cgroups is not null && share.IsLimited;
        var timeout = share.Timeout(SampleTimeoutAtFullSpeed);

        for (var i = discardFirstRound ? -1 : 0; i < samples; i++)
            foreach (var v in variants)
            {
                var (start, _) = await SampleAsync(v, v.StartInfo(env, cgroups, share), _ => api.Arm(null), p => p.FirstPoll.Task, timeout);
                var (chunk, cpu) = await SampleAsync(v, v.StartInfo(env, cgroups, share), _ => api.Arm(invocation), p => p.Invocation!.FirstChunk.Task, timeout);
                var (bursting, _) = withBurst
                    ? await SampleAsync(v, v.StartInfo(env, cgroups, CpuShare.Unlimited), id => api.Arm(invocation, () => cgroups!.Move(id(), share, v.ShortName)),
                        p => p.Invocation!.FirstChunk.Task, timeout)
                    : (chunk, null);
                if (i < 0) continue;
                coldStart[v].Add(start);
                firstChunk[v].Add(chunk);
                burst[v].Add(bursting);
                if (cpu is { } ms) firstChunkCpu[v].Add(ms);
            }
        foreach (var v in variants)
            log($"  {v.Name} @ {share.Label}: cold start p50 {Figure.Of(coldStart[v]).P50:0.0} ms, cold first chunk p50 {Figure.Of(firstChunk[v]).P50:0.0} ms"
                + (firstChunkCpu[v].Count > 0 ? $" ({Figure.Of(firstChunkCpu[v]).P50:0.0} ms of CPU)" : ""));
        return variants.ToDictionary(v => v, v => new ColdResults(Figure.Of(coldStart[v]), Figure.Of(firstChunk[v]),
            firstChunkCpu[v].Count > 0 ? Figure.Of(firstChunkCpu[v]) : null, withBurst ? Figure.Of(burst[v]) : null));
    }

    /// <summary>The wall time to the observed moment, and the CPU time the process had used by then (null where it cannot be read).</summary>
    /// <param name="arm">Arms the listener; its argument gives the process id (waiting for it in the unlikely case that the process polls first).</param>
    private static async Task<(double Ms, double? CpuMs)> SampleAsync(Variant variant, ProcessStartInfo info, Func<Func<int>, ColdProbe> arm,
        Func<ColdProbe, Task<long>> observed, TimeSpan timeout)
    {
        var output = new OutputTail();
        var processId = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        var probe = arm(() => processId.Task.GetAwaiter().GetResult());
        var started = Stopwatch.GetTimestamp();
        var process = ChildProcesses.Start(info, output.Add);
        processId.SetResult(process.Id);
        try
        {
            var exited = process.WaitForExitAsync();
            var at = observed(probe);
            if (await Task.WhenAny(at, exited, Task.Delay(timeout)) != at)
                throw new InvalidOperationException($"{variant.Name} "
                    + (exited.IsCompleted ? $"exited with {process.ExitCode}" : $"timed out after {timeout.TotalSeconds:0} s")
                    + $" during a cold sample; its last output:\n{output}");
            var ms = Time.Ms(started, await at);
            return (ms, ProcessProbe.CpuMilliseconds(process.Id));
        }
        finally
        {
            ChildProcesses.Stop(process);
        }
    }
}

/// <summary>The cold figures of one variant at one share.</summary>
/// <param name="FirstChunkCpu">CPU time used by the first chunk; null where /proc cannot tell.</param>
/// <param name="FirstChunkWithInitBurst">The first chunk with the Init phase at full speed (limited shares with cgroups only).</param>
internal sealed record ColdResults(Figure ColdStart, Figure FirstChunk, Figure? FirstChunkCpu, Figure? FirstChunkWithInitBurst);
