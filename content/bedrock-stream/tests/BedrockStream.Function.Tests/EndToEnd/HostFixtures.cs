using System.Collections.Concurrent;
using BedrockStream.Function.Local;

namespace BedrockStream.Function.Tests.EndToEnd;

/// <summary>
/// A local host (Runtime API emulator + Function URL front + fake Bedrock model) running the REAL function
/// as a child process (<see cref="TestFunction"/>).
/// </summary>
public abstract class HostFixture : IAsyncLifetime
{
    /// <summary>A small request limit, so the 413 path is cheap to reach.</summary>
    public const int MaxRequestBytes = 4096;

    private readonly ConcurrentQueue<string> _log = new();

    public LocalHost Host { get; private set; } = null!;

    public FakeModel Model => Host.FakeModel!;

    /// <summary>No client timeout: every test bounds its own waits.</summary>
    public HttpClient Http { get; } = new() { Timeout = Timeout.InfiniteTimeSpan };

    /// <summary>The host's and the function's log lines, for failure messages.</summary>
    public string RecentLog => string.Join(Environment.NewLine, _log.TakeLast(40));

    protected abstract string ResponseFormat { get; }

    /// <summary>Environment of the function beyond the format and the request limit (a model id, a system prompt, …).</summary>
    protected virtual void Configure(IDictionary<string, string> environment)
    {
    }

    /// <summary>The front the host plays, and its settings (a Function URL unless a fixture says otherwise).</summary>
    protected virtual void ConfigureFront(LocalHostOptions options)
    {
    }

    /// <summary>What the front needs on every request beyond the body (an API key, a body hash); nothing for a Function URL.</summary>
    public virtual HttpRequestMessage Prepare(HttpRequestMessage request) => request;

    public async Task InitializeAsync()
    {
        var options = TestFunction.HostOptions(line =>
        {
            _log.Enqueue(line);
            while (_log.Count > 500) _log.TryDequeue(out _);
        });
        options.Environment["RESPONSE_FORMAT"] = ResponseFormat;
        options.Environment["MAX_REQUEST_BYTES"] = MaxRequestBytes.ToString(System.Globalization.CultureInfo.InvariantCulture);
        options.Environment["LOG_CONTENT"] = "false";
        Configure(options.Environment);
        ConfigureFront(options);
        Host = await LocalHost.StartAsync(options);

        // One invocation first, so timing tests measure a warm function (the JIT's first-call cost is not streaming).
        using var warmUp = await Http.SendAsync(Prepare(WarmUpRequest()));
        await warmUp.Content.ReadAsByteArrayAsync();
        if (!warmUp.IsSuccessStatusCode)
            throw new InvalidOperationException($"The warm-up invocation failed with {(int)warmUp.StatusCode}:{Environment.NewLine}{RecentLog}");
    }

    /// <summary>The first invocation: a short answer in the function's own request format.</summary>
    protected virtual HttpRequestMessage WarmUpRequest() =>
        new(HttpMethod.Post, Host.FunctionUrl) { Content = StreamedResponse.JsonContent(new { prompt = "#tokens:2 warm up" }) };

    /// <summary>Each test starts from a clean fake model: no faults pending, no recorded requests, full speed.</summary>
    public void ResetModel(double tokenRate = 0)
    {
        Model.Reset();
        Model.TokenRate = tokenRate;
    }

    public async Task DisposeAsync()
    {
        Http.Dispose();
        if (Host is not null) await Host.DisposeAsync();
    }
}

public sealed class SseHostFixture : HostFixture
{
    protected override string ResponseFormat => "sse";
}

public sealed class TextHostFixture : HostFixture
{
    protected override string ResponseFormat => "text";
}

/// <summary>
/// A Claude model that reasons (low effort), with a system prompt long enough to be cached and the template's tools:
/// the tool loop end to end, reasoning signatures sent back, prompt caching.
/// </summary>
public sealed class ClaudeHostFixture : HostFixture
{
    public const string ModelId = "us.anthropic.claude-sonnet-4-6";

    /// <summary>About 2,500 tokens: above Claude Sonnet 4.6's 2,048-token cache minimum.</summary>
    public static readonly string SystemPrompt = string.Concat(Enumerable.Repeat("You are a careful assistant; answer briefly and cite the tool you used. ", 140));

    protected override string ResponseFormat => "sse";

    protected override void Configure(IDictionary<string, string> environment)
    {
        environment["MODEL_ID"] = ModelId;
        environment["REASONING_EFFORT"] = "low";
        environment["SYSTEM_PROMPT"] = SystemPrompt;
        environment["MAX_TOOL_ROUNDS"] = "2";
    }
}

/// <summary>A model without prompt caching (gpt-oss), given the same long system prompt with caching on.</summary>
public sealed class NoCacheHostFixture : HostFixture
{
    protected override string ResponseFormat => "sse";

    protected override void Configure(IDictionary<string, string> environment)
    {
        environment["MODEL_ID"] = "openai.gpt-oss-120b-1:0";
        environment["SYSTEM_PROMPT"] = ClaudeHostFixture.SystemPrompt;
        environment["PROMPT_CACHE"] = "true";
    }
}

/// <summary>The function behind a REST API front (payload-1.0 events) that requires an API key.</summary>
public sealed class RestApiHostFixture : HostFixture
{
    public const string ApiKey = "e2e-rest-key";

    protected override string ResponseFormat => "sse";

    protected override void ConfigureFront(LocalHostOptions options)
    {
        options.Front = FrontKind.RestApi;
        options.ApiKey = ApiKey;
    }

    public override HttpRequestMessage Prepare(HttpRequestMessage request)
    {
        request.Headers.Add("x-api-key", ApiKey);
        return request;
    }
}

/// <summary>The function behind a CloudFront front: a body must come with its SHA-256 in x-amz-content-sha256.</summary>
public sealed class CloudFrontHostFixture : HostFixture
{
    protected override string ResponseFormat => "sse";

    protected override void ConfigureFront(LocalHostOptions options) => options.Front = FrontKind.CloudFront;

    public override HttpRequestMessage Prepare(HttpRequestMessage request)
    {
        var body = request.Content?.ReadAsByteArrayAsync().GetAwaiter().GetResult() ?? [];
        if (body.Length > 0)
            request.Headers.Add("x-amz-content-sha256", Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(body)).ToLowerInvariant());
        return request;
    }
}

/// <summary>
/// One collection: the end-to-end tests run one after another (timing assertions should not compete for
/// the CPU with each other), and the two hosts start once for all of them.
/// </summary>
[CollectionDefinition(Name)]
public sealed class EndToEndCollection : ICollectionFixture<SseHostFixture>, ICollectionFixture<TextHostFixture>,
    ICollectionFixture<ClaudeHostFixture>, ICollectionFixture<NoCacheHostFixture>,
    ICollectionFixture<RestApiHostFixture>, ICollectionFixture<CloudFrontHostFixture>
{
    public const string Name = "EndToEnd";
}
