using System.Runtime.InteropServices;
using BedrockStream.Function.Local;

// dotnet run --project local/BedrockStream.Function.Local [-- options]   (see CommandLine.Usage)
LocalHostOptions options;
try
{
    options = CommandLine.Parse(args, out var help);
    if (help)
    {
        Console.WriteLine(CommandLine.Usage);
        return 0;
    }
}
catch (ArgumentException ex)
{
    Console.Error.WriteLine(ex.Message);
    return 2;
}

using var stop = new CancellationTokenSource();
// Ctrl+C and SIGTERM (every time): stop in order, the function first (SIGTERM, then SIGKILL after a grace period,
// with all it started), then the servers, instead of dying and leaving the function running.
void OnSignal(PosixSignalContext context)
{
    context.Cancel = true;
    try { stop.Cancel(); } catch (ObjectDisposedException) { }
}
using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);

LocalHost host;
try
{
    host = await LocalHost.StartAsync(options, stop.Token);
}
catch (Exception ex) when (ex is PortInUseException or InvalidOperationException or FileNotFoundException)
{
    Console.Error.WriteLine("[host] " + ex.Message);
    return 1;
}
catch (OperationCanceledException)
{
    return 130;
}

await using (host)
{
    var modelLine = host.FakeModelEndpoint?.ToString() ?? "(off: calling Amazon Bedrock)";
    var rate = host.FakeModel is null ? "" : $", fake model at {options.TokenRate:0.##} tokens/s";
    // The function's own request, or OpenAI's Chat Completions one for --format openai.
    var (path, body) = host.ResponseFormat == "openai"
        ? ("v1/chat/completions", """{"model":"bedrock","stream":true,"messages":[{"role":"user","content":"Hello"}]}""")
        : ("", """{"prompt":"Hello"}""");
    var curl = $"curl -N {new Uri(host.FunctionUrl, path)} -H 'content-type: application/json' -d '{body}'";
    var front = FrontRules.Label(host.FrontKind).PadRight(12);
    var note = host.FrontKind switch
    {
        FrontKind.RestApi when host.ApiKey is { } key => $"payload 1.0 events; x-api-key: {key} (the deployed URL ends in /prod/)",
        FrontKind.RestApi => "payload 1.0 events, no API key (the deployed URL ends in /prod/)",
        FrontKind.CloudFront => "a Function URL behind it; a POST needs x-amz-content-sha256, the hex SHA-256 of its body",
        _ => "payload 2.0 events",
    };
    if (host.ApiKey is { } apiKey) curl += $" -H 'x-api-key: {apiKey}'";
    if (host.FrontKind == FrontKind.CloudFront)
        curl += $" -H 'x-amz-content-sha256: {Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(body))).ToLowerInvariant()}'";
    Console.WriteLine($$"""

        {{front}}   {{host.FunctionUrl}}   ({{curl}})
                       {{note}}
        Chat page      {{host.FunctionUrl}}
        Runtime API    {{host.RuntimeApiEndpoint}}
        Fake model     {{modelLine}}
        Function       {{host.FunctionCommand}}
        Handler        {{options.Handler}} (LAMBDA_TASK_ROOT {{host.TaskRoot}})
        Timeout        {{options.FunctionTimeout.TotalSeconds:0.##}} s{{rate}}
        Ctrl+C stops everything.

        """);
    var stopped = Task.Delay(Timeout.Infinite, stop.Token).ContinueWith(_ => "", TaskScheduler.Default);
    var first = await Task.WhenAny(stopped, host.FunctionGaveUp);
    if (first == host.FunctionGaveUp)
    {
        Console.Error.WriteLine("[host] stopping: " + await host.FunctionGaveUp);
        return 1;
    }
    Console.WriteLine("[host] stopping");
}
return 0;
