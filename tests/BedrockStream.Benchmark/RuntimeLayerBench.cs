namespace BedrockStream.Benchmark;

/// <summary>The warm figures measured at the Runtime API itself (no local host in between).</summary>
internal sealed record RuntimeLayerResults(Figure TokenLatency, Figure FirstByte);

/// <summary>
/// Per-token latency and first byte with the function talking straight to <see cref="OwnRuntimeApi"/>: the
/// function's own share of the figures, to which the local-host figures add the emulator's and the Function URL
/// front's relay (two Kestrel hops inside the benchmark's process).
/// </summary>
internal sealed class RuntimeLayerBench(FakeModelServer model, BenchmarkSettings settings)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);
    private static readonly byte[] Payload = ColdBench.FunctionUrlEvent("runtime layer");

    /// <summary>All variants run at once and take turns, one answer each, so background load hits them alike.</summary>
    public async Task<IReadOnlyDictionary<Variant, RuntimeLayerResults>> RunAsync(IReadOnlyList<Variant> variants)
    {
        var sessions = new List<(Variant Variant, OwnRuntimeApi Api, System.Diagnostics.Process Process)>();
        try
        {
            foreach (var v in variants)
            {
                var api = new OwnRuntimeApi();
                sessions.Add((v, api, ChildProcesses.Start(v.StartInfo(ColdBench.Environment(api.HostAndPort, model.Endpoint)))));
            }

            model.Scenario = ModelScenario.Short;
            for (var i = 0; i < settings.WarmUp; i++)
                foreach (var s in sessions) await s.Api.InvokeAsync(Payload, Timeout);

            var firstByte = variants.ToDictionary(v => v, _ => new List<double>());
            for (var i = 0; i < settings.FirstByteSamples; i++)
                foreach (var s in sessions)
                {
                    var r = await s.Api.InvokeAsync(Payload, Timeout);
                    firstByte[s.Variant].Add(Time.Ms(r.HandedOutAt, r.PreludeAt));
                }

            var tokens = settings.TokensPerAnswer;
            model.Scenario = new ModelScenario(tokens, settings.TokenRate, 4);
            var perToken = variants.ToDictionary(v => v, _ => new List<double>());
            for (var i = 0; i < settings.TokenAnswers; i++)
                foreach (var s in sessions)
                {
                    model.ForgetLastAnswer();
                    var r = await s.Api.InvokeAsync(Payload, Timeout);
                    var written = model.LastAnswer?.DeltaWrittenAt ?? throw new InvalidOperationException("the model's answer was not recorded");
                    if (r.EventAt.Count < tokens) throw new InvalidOperationException($"{s.Variant.Name}: {r.EventAt.Count} events for {tokens} tokens");
                    for (var t = 0; t < tokens; t++) perToken[s.Variant].Add(Time.Ms(written[t], r.EventAt[t]));
                }
            model.Scenario = ModelScenario.Short;
            return variants.ToDictionary(v => v, v => new RuntimeLayerResults(Figure.Of(perToken[v]), Figure.Of(firstByte[v])));
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
