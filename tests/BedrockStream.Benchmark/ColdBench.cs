using System.Diagnostics;
using System.Text;
using System.Text.Json;

namespace BedrockStream.Benchmark;

/// <summary>
/// Cold start (process start → first <c>/next</c>) and cold first chunk (process start with an invocation
/// waiting → first body byte after the prelude), each sample a fresh process against <see cref="OwnRuntimeApi"/>.
/// </summary>
internal sealed class ColdBench(FakeModelServer model, int samples, Action<string> log)
{
    private static readonly TimeSpan SampleTimeout = TimeSpan.FromSeconds(20);

    /// <summary>Samples interleaved across variants and across the two figures, so that a burst of load from other work on the machine hits all alike.</summary>
    public async Task<IReadOnlyDictionary<Variant, (Figure ColdStart, Figure FirstChunk)>> RunAsync(IReadOnlyList<Variant> variants)
    {
        await using var api = new OwnRuntimeApi();
        model.Scenario = ModelScenario.Short;
        var env = Environment(api.HostAndPort, model.Endpoint);
        var invocation = FunctionUrlEvent("cold");
        var coldStart = variants.ToDictionary(v => v, _ => new List<double>());
        var firstChunk = variants.ToDictionary(v => v, _ => new List<double>());

        // Round -1 is not kept: the first exec of a binary pays for reading it from disk.
        for (var i = -1; i < samples; i++)
            foreach (var v in variants)
            {
                var start = await SampleAsync(v, env, api.Arm(null), p => p.FirstPoll.Task);
                var chunk = await SampleAsync(v, env, api.Arm(invocation), p => p.Invocation!.FirstChunk.Task);
                if (i < 0) continue;
                coldStart[v].Add(start);
                firstChunk[v].Add(chunk);
            }
        foreach (var v in variants)
            log($"{v.Name}: cold start p50 {Figure.Of(coldStart[v]).P50:0.0} ms, cold first chunk p50 {Figure.Of(firstChunk[v]).P50:0.0} ms");
        return variants.ToDictionary(v => v, v => (Figure.Of(coldStart[v]), Figure.Of(firstChunk[v])));
    }

    private static async Task<double> SampleAsync(Variant variant, IReadOnlyDictionary<string, string?> env, ColdProbe probe, Func<ColdProbe, Task<long>> observed)
    {
        var info = variant.StartInfo(env);
        var started = Stopwatch.GetTimestamp();
        var process = ChildProcesses.Start(info);
        try
        {
            var exited = process.WaitForExitAsync();
            var at = observed(probe);
            if (await Task.WhenAny(at, exited, Task.Delay(SampleTimeout)) != at)
                throw new InvalidOperationException($"{variant.Name} " + (exited.IsCompleted ? $"exited with {process.ExitCode}" : "timed out") + " during a cold sample");
            return Time.Ms(started, await at);
        }
        finally
        {
            ChildProcesses.Stop(process);
        }
    }

    /// <summary>What Lambda sets for a custom runtime, with the fake model as Bedrock.</summary>
    public static Dictionary<string, string?> Environment(string runtimeApi, string modelEndpoint) => new()
    {
        ["AWS_LAMBDA_RUNTIME_API"] = runtimeApi,
        ["AWS_LAMBDA_FUNCTION_NAME"] = "bench",
        ["AWS_LAMBDA_FUNCTION_VERSION"] = "$LATEST",
        ["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"] = "1024",
        ["_HANDLER"] = "bootstrap",
        ["MODEL_ID"] = "us.amazon.nova-2-lite-v1:0",
        ["AWS_ENDPOINT_URL_BEDROCK_RUNTIME"] = modelEndpoint,
        ["AWS_REGION"] = "us-east-1",
        ["AWS_ACCESS_KEY_ID"] = "AKIDBENCHMARKFAKE001",
        ["AWS_SECRET_ACCESS_KEY"] = "benchmarkFakeSecretKey/doesNotWorkOnAws00",
        ["AWS_SESSION_TOKEN"] = "benchmark-fake-session-token",
        ["AWS_PROFILE"] = null,
        ["AWS_EC2_METADATA_DISABLED"] = "true",
    };

    /// <summary>A Function URL event (payload 2.0) for <c>POST /</c> with <c>{"prompt": ...}</c>.</summary>
    public static byte[] FunctionUrlEvent(string prompt)
    {
        var body = JsonSerializer.Serialize(new Dictionary<string, string> { ["prompt"] = prompt });
        var json = $$"""
            {"version":"2.0","routeKey":"$default","rawPath":"/","rawQueryString":"",
             "headers":{"content-type":"application/json","host":"bench.lambda-url.us-east-1.on.aws"},
             "requestContext":{"http":{"method":"POST","path":"/","protocol":"HTTP/1.1","sourceIp":"127.0.0.1"},"requestId":"cold"},
             "body":{{JsonSerializer.Serialize(body)}},"isBase64Encoded":false}
            """;
        return Encoding.UTF8.GetBytes(json);
    }
}
