using System.Globalization;
using System.Text;
using System.Text.Json;

namespace BedrockStream.Benchmark;

/// <summary>What Lambda gives a function process, with the benchmark's fake model as Bedrock, and the event it invokes it with.</summary>
internal static class LambdaEnvironment
{
    /// <summary>
    /// The reserved variables of a custom runtime (https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html#configuration-envvars-runtime),
    /// fake credentials, the model endpoint, and <paramref name="trust"/> (the throw-away root for HTTPS).
    /// A variant adds its own on top (<see cref="Variant.Environment"/>: the Node client's handler and task root).
    /// </summary>
    public static Dictionary<string, string?> For(string runtimeApi, string modelEndpoint, CpuShare share, IReadOnlyDictionary<string, string?> trust)
    {
        var env = new Dictionary<string, string?>
        {
            ["AWS_LAMBDA_RUNTIME_API"] = runtimeApi,
            ["AWS_LAMBDA_FUNCTION_NAME"] = "bench",
            ["AWS_LAMBDA_FUNCTION_VERSION"] = "$LATEST",
            ["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"] = (share.MemoryMb ?? 1024).ToString(CultureInfo.InvariantCulture),
            // Set by Lambda for every function; aws-lambda-ric refuses an invocation without them.
            ["AWS_LAMBDA_LOG_GROUP_NAME"] = "/aws/lambda/bench",
            ["AWS_LAMBDA_LOG_STREAM_NAME"] = "bench",
            ["AWS_LAMBDA_INITIALIZATION_TYPE"] = "on-demand",
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
        foreach (var (key, value) in trust) env[key] = value;
        return env;
    }

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
