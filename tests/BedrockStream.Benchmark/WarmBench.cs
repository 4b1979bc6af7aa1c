using BedrockStream.Function.Local;

namespace BedrockStream.Benchmark;

/// <summary>The figures measured through the template's local host.</summary>
internal sealed record WarmResults(Figure TokenLatency, Figure FirstByte, Figure Throughput, Soak Soak);

/// <summary>Memory of the function process at the two soak checkpoints, and the invocations that failed.</summary>
internal sealed record Soak(double RssEarly, double RssLate, int FdsEarly, int FdsLate, int Failed);

/// <summary>
/// Runs every variant as the function of its own local host (<see cref="LocalHost.StartAsync"/>: Runtime API
/// emulator + Function URL front) with <see cref="FakeModelServer"/> as Bedrock over plain HTTP (these figures
/// are warm ones, and stay comparable with earlier runs), with the whole machine's CPU, and calls them over HTTP
/// like a client. The variants take turns (one answer, or one block of the soak, each), so that load from other work on
/// the machine falls on all of them alike and the ratios stay meaningful.
/// </summary>
internal sealed class WarmBench(FakeModelServer model, BenchmarkSettings settings, Action<string> log)
{
    private const int SoakBlock = 100;

    private sealed record Session(Variant Variant, LocalHost Host, StreamingClient Client, OutputTail HostLog, IDisposable Watch);

    public async Task<IReadOnlyDictionary<Variant, WarmResults>> RunAsync(IReadOnlyList<Variant> variants)
    {
        var sessions = new List<Session>();
        try
        {
            foreach (var v in variants) sessions.Add(await StartAsync(v));
            model.Scenario = ModelScenario.Short;
            for (var i = 0; i < settings.WarmUp; i++)
                foreach (var s in sessions) await s.Client.PostAsync("warm-up");

            // The soak first, so its memory figures are not those of the 64 KB throughput buffers.
            var soak = await SoakAsync(sessions);
            log("soak done");
            var firstByte = await FirstByteAsync(sessions);
            var token = await TokenLatencyAsync(sessions);
            var throughput = await ThroughputAsync(sessions);
            return variants.ToDictionary(v => v, v => new WarmResults(Figure.Of(token[v]), Figure.Of(firstByte[v]), Figure.OfRates(throughput[v]), soak[v]));
        }
        catch (Exception e)
        {
            throw new InvalidOperationException($"through the local host: {e.Message}\n"
                + string.Join("\n", sessions.Select(s => $"--- {s.Variant.Name}: local host log (last lines) ---\n{s.HostLog}")), e);
        }
        finally
        {
            foreach (var s in sessions)
            {
                s.Client.Dispose();
                s.Watch.Dispose();
                await s.Host.DisposeAsync();
            }
        }
    }

    private async Task<Session> StartAsync(Variant variant)
    {
        var hostLog = new OutputTail();
        var options = new LocalHostOptions
        {
            ModelMode = ModelMode.Fake,
            FunctionCommand = variant.CommandLine,
            FunctionTimeout = TimeSpan.FromSeconds(120),
            // The host logs a line per invocation: only the tail is kept, to show when something fails.
            Log = hostLog.Add,
        };
        options.Environment["AWS_ENDPOINT_URL_BEDROCK_RUNTIME"] = model.Endpoint;
        // The variant's own variables (the Node client's _HANDLER and LAMBDA_TASK_ROOT) win over the host's defaults.
        foreach (var (key, value) in variant.Environment) options.Environment[key] = value;
        var host = await LocalHost.StartAsync(options);
        return new Session(variant, host, new StreamingClient(host.FunctionUrl), hostLog, ChildProcesses.Watch(() => host.FunctionProcessId));
    }

    /// <summary>Sequential short answers; RSS and fds at the two checkpoints; a failure is a non-200, an unfinished stream or a restart.</summary>
    private async Task<Dictionary<Variant, Soak>> SoakAsync(List<Session> sessions)
    {
        model.Scenario = ModelScenario.Short;
        var pids = sessions.ToDictionary(s => s, s => s.Host.FunctionProcessId ?? throw new InvalidOperationException($"{s.Variant.Name} is not running"));
        var failed = sessions.ToDictionary(s => s, _ => 0);
        var early = new Dictionary<Session, (double Rss, int Fds)>();
        for (var done = 0; done < settings.SoakLate; done += SoakBlock)
            foreach (var s in sessions)
            {
                for (var i = 1; i <= SoakBlock; i++)
                {
                    var r = await s.Client.PostAsync("soak");
                    if (r.Status != 200 || !r.Done) failed[s]++;
                    if (done + i == settings.SoakEarly) early[s] = (ProcessProbe.RssMegabytes(pids[s]), ProcessProbe.OpenFds(pids[s]));
                }
            }
        return sessions.ToDictionary(s => s.Variant, s => new Soak(
            early[s].Rss, ProcessProbe.RssMegabytes(pids[s]), early[s].Fds, ProcessProbe.OpenFds(pids[s]),
            // A restart means the process whose memory was sampled died: count it as a failure.
            failed[s] + (s.Host.FunctionProcessId == pids[s] ? 0 : 1)));
    }

    /// <summary>The emulator's hand-out of the invocation (its <c>/next</c> answer) → response headers at the client; the model answers at once.</summary>
    private async Task<Dictionary<Variant, List<double>>> FirstByteAsync(List<Session> sessions)
    {
        model.Scenario = ModelScenario.Short;
        var samples = sessions.ToDictionary(s => s.Variant, _ => new List<double>());
        for (var i = 0; i < settings.FirstByteSamples; i++)
            foreach (var s in sessions)
            {
                var r = await s.Client.PostAsync("first byte");
                Ensure(s, r);
                var handedOut = await s.Host.Events.WaitForAsync(e => e.Kind == RuntimeEventKind.InvocationHandedOut && e.RequestId == r.RequestId, TimeSpan.FromSeconds(10));
                samples[s.Variant].Add(Time.Ms(handedOut.Timestamp, r.HeadersAt));
            }
        return samples;
    }

    /// <summary>At a steady token rate: each delta's send at the fake model → its SSE event at the client.</summary>
    private async Task<Dictionary<Variant, List<double>>> TokenLatencyAsync(List<Session> sessions)
    {
        var tokens = settings.TokensPerAnswer;
        model.Scenario = new ModelScenario(tokens, settings.TokenRate, 4);
        var samples = sessions.ToDictionary(s => s.Variant, _ => new List<double>());
        for (var i = 0; i < settings.TokenAnswers; i++)
            foreach (var s in sessions)
            {
                model.ForgetLastAnswer();
                var r = await s.Client.PostAsync("tokens", eventsToStamp: tokens);
                Ensure(s, r);
                var written = model.LastAnswer?.DeltaWrittenAt ?? throw new InvalidOperationException("the model's answer was not recorded");
                if (r.Events < tokens) throw new InvalidOperationException($"{s.Variant.Name}: {r.Events} events for {tokens} tokens");
                for (var t = 0; t < tokens; t++) samples[s.Variant].Add(Time.Ms(written[t], r.EventAt[t]));
            }
        return samples;
    }

    /// <summary>64 KB deltas as fast as the model can send them: body MB/s at the client, headers → last byte.</summary>
    private async Task<Dictionary<Variant, List<double>>> ThroughputAsync(List<Session> sessions)
    {
        const int DeltaBytes = 64 * 1024;
        model.Scenario = new ModelScenario((int)(settings.ThroughputMegabytes * 1_000_000 / DeltaBytes), 0, DeltaBytes);
        var rates = sessions.ToDictionary(s => s.Variant, _ => new List<double>());
        for (var i = 0; i < settings.ThroughputRuns; i++)
            foreach (var s in sessions)
            {
                var r = await s.Client.PostAsync("throughput");
                Ensure(s, r);
                rates[s.Variant].Add(r.Bytes / 1e6 / (Time.Ms(r.HeadersAt, r.LastByteAt) / 1000));
            }
        model.Scenario = ModelScenario.Short;
        return rates;
    }

    private static void Ensure(Session s, StreamedResponse r)
    {
        if (r.Status != 200 || !r.Done) throw new InvalidOperationException($"{s.Variant.Name}: invocation failed: HTTP {r.Status}, done={r.Done}, {r.Bytes} bytes");
    }
}
