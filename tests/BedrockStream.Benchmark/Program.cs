// The performance benchmark of PRODUCT.md §7 (issue 6): the template's function, published with Native AOT and
// with ReadyToRun, against a Python baseline written like the well-known blog recipe, side by side in one run,
// through the template's own streaming local host.
//   dotnet run --project tests/BedrockStream.Benchmark -c Release            (full run, a few minutes)
//   dotnet run --project tests/BedrockStream.Benchmark -c Release -- --quick (under a minute; no ReadyToRun)
using System.Diagnostics;
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

try
{
    var total = Stopwatch.StartNew();
    var loadAtStart = LoadAverage();
    Directory.CreateDirectory(RepoPaths.WorkDirectory);
    await Prerequisites.CheckAsync();

    var variants = new List<Variant> { await Publisher.PublishAsync("AOT", [], Log) };
    if (settings.IncludeReadyToRun)
        variants.Add(await Publisher.PublishAsync("ReadyToRun", ["-p:PublishAot=false", "-p:PublishReadyToRun=true"], Log));
    variants.Add(Publisher.Baseline());

    await using var model = new FakeModelServer();
    var cold = new ColdBench(model, settings.ColdSamples, Log);
    var direct = new RuntimeLayerBench(model, settings);
    var warm = new WarmBench(model, settings, Log);
    Log($"cold figures: {settings.ColdSamples} fresh processes per variant and figure");
    var coldResults = await cold.RunAsync(variants);
    Log("warm figures at the Runtime API (own listener)");
    var directResults = await direct.RunAsync(variants);
    Log($"warm figures through the local host (soak of {settings.SoakLate:N0} invocations per variant)");
    var warmResults = await warm.RunAsync(variants);
    var results = variants.Select(v => new VariantResults(v, coldResults[v].ColdStart, coldResults[v].FirstChunk, directResults[v], warmResults[v], v.ZipMegabytes())).ToList();

    Console.WriteLine();
    Console.WriteLine($"## Results ({(settings.Quick ? "quick" : "full")} run, {DateTime.UtcNow:yyyy-MM-dd}, {Environment.ProcessorCount} cores, {RuntimeInformation.OSDescription.Trim()}, .NET {Environment.Version}, {total.Elapsed.TotalSeconds:0} s)");
    // Other work on the machine shows in the p99s; the load average says how much there was.
    Console.WriteLine($"Load average (1/5/15 min) at the start: {loadAtStart}; at the end: {LoadAverage()}.");
    Console.WriteLine();
    Console.Write(ResultTable.Render(settings, results));
    Console.WriteLine();
    Console.WriteLine($"""
        Cells are p50 / p99 over the samples (throughput: median / worst run); ratios are to the Python baseline of this run.
        Per token: {settings.TokenAnswers} answers x {settings.TokensPerAnswer} tokens at {settings.TokenRate:0} tokens/s, each delta stamped after the fake
          model's send returned and again when its SSE event reached the HTTP client through the local host (emulator + Function URL front).
        "[own listener]" rows: the same figure with the function polling the benchmark's raw-socket Runtime API directly, no local host.
        First byte: {settings.FirstByteSamples} short answers, from the emulator's RuntimeEvent InvocationHandedOut to the response headers at the client.
        Cold figures: {settings.ColdSamples} fresh processes each, measured at the benchmark's own raw-socket Runtime API listener (Kestrel's
          accept/routing would otherwise be part of a few-millisecond figure); the first chunk is the first body byte after the prelude.
        Throughput: 64 KB deltas, {settings.ThroughputMegabytes:0} MB per answer, {settings.ThroughputRuns} answers. Memory: one function process over {settings.SoakLate:N0} sequential invocations.
        Artifact: the publish folder zipped as-is (the baseline: its script only, without Python and requests).
        """);
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
}

static string LoadAverage() => File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "n/a";
