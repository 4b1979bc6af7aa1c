using System.Diagnostics;

namespace BedrockStream.Benchmark;

/// <summary>The warm figures of one CPU share, measured at the Runtime API itself (no local host in between).</summary>
/// <param name="RssMegabytes">Resident memory after the share's warm-up and samples.</param>
internal sealed record RuntimeLayerResults(Figure TokenLatency, Figure FirstByte, double RssMegabytes);

/// <summary>
/// Per-token latency and first byte with the function talking straight to <see cref="OwnRuntimeApi"/> and to the
/// fake model over HTTPS, each function process in its CPU share's cgroup: the function's own share of the
/// figures, without the local host's relays (which run in the benchmark's unlimited process and, on AWS, are
/// Lambda's own infrastructure).
/// </summary>
internal sealed class RuntimeLayerBench(FakeModelServer model, ThrowAwayCertificates tls, CpuQuotaCgroups? cgroups, BenchmarkSettings settings)
{
    private static readonly TimeSpan TimeoutAtFullSpeed = TimeSpan.FromSeconds(60);
    private static readonly byte[] Payload = LambdaEnvironment.FunctionUrlEvent("runtime layer");

    /// <summary>All variants run at once and take turns, one answer each, so background load hits them alike.</summary>
    public async Task<IReadOnlyDictionary<Variant, RuntimeLayerResults>> RunAsync(IReadOnlyList<Variant> variants, CpuShare share)
    {
        var timeout = share.Timeout(TimeoutAtFullSpeed);
        // With the whole machine a sample takes milliseconds: as many as through the local host. Under a quota, fewer.
        var firstBytes = share.IsLimited ? settings.ShareFirstByteSamples : settings.FirstByteSamples;
        var answers = share.IsLimited ? settings.ShareTokenAnswers : settings.TokenAnswers;
        var sessions = new List<(Variant Variant, OwnRuntimeApi Api, Process Process, OutputTail Output)>();
        try
        {
            foreach (var v in variants)
            {
                var api = new OwnRuntimeApi();
                var output = new OutputTail();
                var env = LambdaEnvironment.For(api.HostAndPort, model.SecureEndpoint, share, tls.TrustEnvironment);
                sessions.Add((v, api, ChildProcesses.Start(v.StartInfo(env, cgroups, share), output.Add), output));
            }

            async Task<ListenerInvocation> InvokeAsync((Variant Variant, OwnRuntimeApi Api, Process Process, OutputTail Output) s)
            {
                try
                {
                    return await s.Api.InvokeAsync(Payload, timeout);
                }
                catch (Exception e) when (e is TimeoutException or InvalidOperationException)
                {
                    throw new InvalidOperationException($"{s.Variant.Name} @ {share.Label}: {e.Message}; its last output:\n{s.Output}", e);
                }
            }

            // Warm-up: the first calls pay the TLS handshake, lazy initialisation and (ReadyToRun) tiered JIT.
            model.Scenario = ModelScenario.Short;
            var warmUp = Math.Max(5, firstBytes / 2);
            for (var i = 0; i < warmUp; i++)
                foreach (var s in sessions) await InvokeAsync(s);

            var firstByte = variants.ToDictionary(v => v, _ => new List<double>());
            for (var i = 0; i < firstBytes; i++)
                foreach (var s in sessions)
                {
                    var r = await InvokeAsync(s);
                    firstByte[s.Variant].Add(Time.Ms(r.HandedOutAt, r.PreludeAt));
                }

            var tokens = settings.TokensPerAnswer;
            model.Scenario = new ModelScenario(tokens, settings.TokenRate, 4);
            var perToken = variants.ToDictionary(v => v, _ => new List<double>());
            for (var i = 0; i < answers; i++)
                foreach (var s in sessions)
                {
                    model.ForgetLastAnswer();
                    var r = await InvokeAsync(s);
                    var written = model.LastAnswer?.DeltaWrittenAt ?? throw new InvalidOperationException("the model's answer was not recorded");
                    if (r.EventAt.Count < tokens) throw new InvalidOperationException($"{s.Variant.Name}: {r.EventAt.Count} events for {tokens} tokens");
                    for (var t = 0; t < tokens; t++) perToken[s.Variant].Add(Time.Ms(written[t], r.EventAt[t]));
                }
            model.Scenario = ModelScenario.Short;
            return sessions.ToDictionary(s => s.Variant, s => new RuntimeLayerResults(
                Figure.Of(perToken[s.Variant]), Figure.Of(firstByte[s.Variant]), ProcessProbe.RssMegabytes(s.Process.Id)));
        }
        finally
        {
            foreach (var s in sessions)
            {
                ChildProcesses.Stop(s.Process);
                await s.Api.DisposeAsync();
            }
        }
    }
}
