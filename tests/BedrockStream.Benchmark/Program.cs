// The performance benchmark of PRODUCT.md §7: the template's function (Native AOT, ReadyToRun, and Native AOT as of
// a reference commit) against its peers, the blog recipe's Python runtime and a Node.js function on aws-lambda-ric
// with the AWS SDK for JavaScript, side by side in one run: at the CPU share of several Lambda memory sizes (cgroup
// quotas), with Bedrock over HTTPS for the cold path, and through the template's own streaming local host; then
// the cost of 1,000 answers per memory size.
//   dotnet run --project tests/BedrockStream.Benchmark -c Release              (full run, about 15 minutes)
//   dotnet run --project tests/BedrockStream.Benchmark -c Release -- --quick   (a couple of minutes; what the smoke test runs)
//   dotnet run --project tests/BedrockStream.Benchmark -c Release -- --prepare (publish and install only; .ci/run does this)
//   dotnet run --project tests/BedrockStream.Benchmark -c Release -- --cold-only --no-peers --shares 128 (the cold path alone)
using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using BedrockStream.Benchmark;

BenchmarkSettings settings;
try
{
    settings = BenchmarkSettings.Parse(args);
}
catch (ArgumentException e)
{
    Console.Error.WriteLine(e.Message);
    return 2;
}

void Log(string line) => Console.WriteLine($"[bench {DateTime.Now:HH:mm:ss}] {line}");
Console.CancelKeyPress += (_, _) => ChildProcesses.KillAll();
AppDomain.CurrentDomain.ProcessExit += (_, _) => ChildProcesses.KillAll();

CpuQuotaCgroups? cgroups = null;
try
{
    var total = Stopwatch.StartNew();
    var loadAtStart = LoadAverage();
    Directory.CreateDirectory(RepoPaths.WorkDirectory);
    var (variants, leftOut) = await VariantLineup.PrepareAsync(settings, Log);
    if (settings.Prepare)
    {
        Log($"prepared {string.Join(", ", variants.Select(v => v.Name))} in {total.Elapsed.TotalSeconds:0} s");
        return 0;
    }

    using var tls = ThrowAwayCertificates.Create(Path.Combine(RepoPaths.WorkDirectory, "tls"));
    await using var model = new FakeModelServer(tls);
    cgroups = CpuQuotaCgroups.TryCreate(settings.Shares, variants.Select(v => v.ShortName).ToList(), out var noCgroups);
    var limited = settings.Shares.Where(s => s.IsLimited).ToList();
    if (cgroups is null && limited.Count > 0)
        Log($"CPU shares NOT measured: {noCgroups}. The figures at {string.Join(", ", limited.Select(s => s.Label))} could not be taken; going on with the unlimited share only");

    var shareBench = new CpuShareBench(model, tls, cgroups, settings, Log);
    var shareResults = await shareBench.RunAsync(variants);
    // Read before the groups go: the proof that the quotas were in force, or the plain statement that they were not.
    var quotaNote = cgroups is not null
        ? "Quota in force (cpu.stat, all variants of a share): " + string.Join("; ", shareBench.Shares.Where(s => s.IsLimited).Select(s => $"{s.Label}: {cgroups.Throttling(s)}")) + "."
        : limited.Count > 0 ? $"NOT MEASURED: {string.Join(", ", limited.Select(s => s.Label))} ({noCgroups})." : "";
    cgroups?.Dispose();
    cgroups = null;

    if (settings.ColdOnly)
    {
        Console.WriteLine();
        Console.WriteLine($"## Cold figures by CPU share (--cold-only, {DateTime.UtcNow:yyyy-MM-dd}, {Environment.ProcessorCount} cores, {total.Elapsed.TotalSeconds:0} s)");
        Console.WriteLine($"Load average (1/5/15 min) at the start: {loadAtStart}; at the end: {LoadAverage()}.");
        Console.WriteLine();
        Console.Write(ShareTable.Render(variants, shareResults));
        Console.WriteLine();
        Console.WriteLine(quotaNote);
        foreach (var line in leftOut) Console.WriteLine($"- {line}");
        return 0;
    }

    Log($"warm figures through the local host (soak of {settings.SoakLate:N0} invocations per variant)");
    var warmResults = await new WarmBench(model, settings, Log).RunAsync(variants);
    var results = variants.Select(v => new VariantResults(v, shareResults[CpuShare.Unlimited][v], warmResults[v], v.ZipMegabytes())).ToList();

    Console.WriteLine();
    Console.WriteLine($"## Results ({(settings.Quick ? "quick" : "full")} run, {DateTime.UtcNow:yyyy-MM-dd}, {Environment.ProcessorCount} cores, {RuntimeInformation.OSDescription.Trim()}, .NET {Environment.Version}, {total.Elapsed.TotalSeconds:0} s)");
    // Other work on the machine shows in the p99s; the load average says how much there was.
    Console.WriteLine($"Load average (1/5/15 min) at the start: {loadAtStart}; at the end: {LoadAverage()}.");
    Console.WriteLine();
    Console.Write(ResultTable.Render(settings, results));
    Console.WriteLine();
    Console.WriteLine($"""
        Cells are p50 / p99 over the samples (throughput: median / worst run); "A ÷ B" columns divide A's figure by B's of this run.
        Bedrock: the benchmark's fake model. Over HTTPS (a throw-away root + intermediate + leaf, RSA 2048, trusted through SSL_CERT_FILE,
          REQUESTS_CA_BUNDLE, NODE_EXTRA_CA_CERTS) for the cold figures and every "[own listener]" figure, so a cold first chunk includes
          the TLS handshake to Bedrock; over plain HTTP for the figures through the local host (warm, comparable with earlier runs).
        Per token: {settings.TokenAnswers} answers x {settings.TokensPerAnswer} tokens at {settings.TokenRate:0} tokens/s, each delta stamped after the fake
          model's write returned and again when its SSE event reached the HTTP client through the local host (emulator + Function URL front).
        "[own listener]" rows: the same figure with the function polling the benchmark's raw-socket Runtime API directly, no local host.
        First byte: {settings.FirstByteSamples} short answers, from the emulator's RuntimeEvent InvocationHandedOut to the response headers at the client.
        Cold figures: {settings.ColdSamples} fresh processes each, measured at the benchmark's own raw-socket Runtime API listener (Kestrel's
          accept/routing would otherwise be part of a few-millisecond figure); the first chunk is the first body byte after the prelude.
        Throughput: 64 KB deltas, {settings.ThroughputMegabytes:0} MB per answer, {settings.ThroughputRuns} answers. Memory: one function process over {settings.SoakLate:N0} sequential invocations.
        """);
    Console.WriteLine();
    Console.WriteLine("## By CPU share (Lambda memory size)");
    Console.WriteLine();
    Console.Write(ShareTable.Render(variants, shareResults));
    Console.WriteLine();
    Console.WriteLine($"""
        Each function process alone in a cgroup-v1 CPU group of its share (cpu.cfs_period_us 100000, cpu.cfs_quota_us = MB / {CpuShare.OneVcpuMegabytes} x period:
          Lambda gives one vCPU at {CpuShare.OneVcpuMegabytes:N0} MB), entered before exec through /bin/sh, so start-up is limited too; the unlimited share
          goes through the same wrapper. Bedrock over HTTPS, the function at the benchmark's Runtime API listener.
        Samples per variant at each limited share: {settings.ColdSamplesLimited} cold processes per cold figure ({settings.ColdSamplesSmall} at 256 MB and less), {settings.ShareFirstByteSamples} first bytes,
          {settings.ShareTokenAnswers} answer(s) of {settings.TokensPerAnswer} tokens at {settings.TokenRate:0} tokens/s; fewer than with the whole machine ({settings.ColdSamples} cold, {settings.FirstByteSamples} first bytes,
          {settings.TokenAnswers} answers), because a 128 MB share stretches every step about 14-fold. RSS after all of them.
        "CPU time used by then": the function process's own CPU time (its threads' /proc schedstat) when its first chunk arrived, which
          varies far less with the machine's load than the wall time does. "Init phase at full speed": the process starts without a quota
          and enters its share's group at its first /next, as Lambda runs an on-demand function's Init phase at full speed
          (https://serverlessland.com/content/service/lambda/guides/effectively-running-java-on-serverless/init-heavy-lifting).
        """);
    Console.WriteLine(quotaNote);
    Console.WriteLine();
    var answer = AnswerScenario.Typical;
    Console.WriteLine($"## Cost of 1,000 answers ({answer.InputTokens} input + {answer.OutputTokens} output tokens at {answer.TokensPerSecond:0} tokens/s = {answer.StreamingSeconds:0.0} s of streaming), USD");
    Console.WriteLine();
    Console.Write(CostTable.Render(variants, shareResults, answer));
    Console.WriteLine();
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"""
        Lambda, us-east-1, on-demand, first price tier: x86_64 ${Prices.LambdaX86PerGbSecond:0.0000000000} and arm64 ${Prices.LambdaArmPerGbSecond:0.0000000000} per GB-second,
          $0.20 per million requests ({Prices.LambdaSource}, read {Prices.ReadOn}); GB-seconds = MB / 1,024 x billed seconds.
        Billed per answer: {answer.StreamingSeconds:0.0} s of streaming + the variant's warm first byte + the last token's added latency (p50s at that share);
          {Prices.ColdStartShare * 100:0}% of answers are cold and add cold first chunk - warm first byte ({Prices.InitBillingSource}: INIT is billed,
          cold starts "typically occur in under 1% of invocations"). The model's own time to first token adds the same to every variant.
        arm64 is priced with the durations measured here on x86_64. Streamed bytes are free up to 6 MB per answer, far above these.
        Model for scale: Amazon Nova 2 Lite on-demand, ${Prices.NovaLiteInputPer1k} per 1k input and ${Prices.NovaLiteOutputPer1k} per 1k output tokens
          ({Prices.BedrockSource}, read {Prices.ReadOn}) = ${answer.ModelCost:0.00000} per answer.
        """));
    Console.WriteLine();
    Console.WriteLine("What ran:");
    foreach (var v in variants)
        Console.WriteLine($"- {v.Name}: {v.Description}" + (v.ArtifactNote is { } note ? $"; artifact: {note}" : ""));
    foreach (var line in leftOut) Console.WriteLine($"- {line}");
    return 0;
}
catch (Exception e)
{
    Console.Error.WriteLine($"benchmark failed: {e}");
    return 1;
}
finally
{
    ChildProcesses.KillAll();
    cgroups?.Dispose();
}

static string LoadAverage() => File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "n/a";
