using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using BedrockStream.Function.Local;

namespace BedrockStream.Function.Tests.EndToEnd;

/// <summary>
/// The local host playing the other fronts, with the test playing the function (no function process): a REST API
/// (payload-1.0 events, the API key and the one resource checked before the function is invoked, a prelude header
/// that is not a string failing as API Gateway fails it) and CloudFront (a POST body must come with its SHA-256).
/// </summary>
public sealed class FrontEmulationTests : IAsyncLifetime
{
    private const string ApiKey = "test-key-1";
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);
    private readonly HttpClient _http = new() { Timeout = System.Threading.Timeout.InfiniteTimeSpan };
    private LocalHost _rest = null!;
    private LocalHost _cloudFront = null!;

    public async Task InitializeAsync()
    {
        _rest = await LocalHost.StartAsync(new LocalHostOptions { StartFunction = false, Front = FrontKind.RestApi, ApiKey = ApiKey, FunctionTimeout = TimeSpan.FromSeconds(20), Log = _ => { } });
        _cloudFront = await LocalHost.StartAsync(new LocalHostOptions { StartFunction = false, Front = FrontKind.CloudFront, FunctionTimeout = TimeSpan.FromSeconds(20), Log = _ => { } });
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _rest.DisposeAsync();
        await _cloudFront.DisposeAsync();
    }

    private static HttpRequestMessage Post(Uri url, string body, string? apiKey = ApiKey, string? bodyHash = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        if (apiKey is not null) request.Headers.Add("x-api-key", apiKey);
        if (bodyHash is not null) request.Headers.Add("x-amz-content-sha256", bodyHash);
        return request;
    }

    private static string Sha256(string text) => Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(text))).ToLowerInvariant();

    private static int Queued(LocalHost host) => host.Events.Snapshot().Count(e => e.Kind == RuntimeEventKind.InvocationQueued);

    [Fact]
    public async Task Rest_api_hands_the_function_a_payload_1_0_event()
    {
        var request = new HttpRequestMessage(HttpMethod.Get, new Uri(_rest.FunctionUrl, "/?prompt=a%20b&n=1&n=2"));
        request.Headers.Add("x-api-key", ApiKey);
        request.Headers.Add("X-Custom", "one");
        var client = StreamedResponse.SendAsync(_http, request, Timeout);
        using var function = new ScriptedFunction(_rest.RuntimeApiEndpoint);

        var next = await function.NextAsync();

        var e = JsonDocument.Parse(next.Event).RootElement;
        Assert.False(e.TryGetProperty("version", out _));
        Assert.False(e.TryGetProperty("rawPath", out _));
        Assert.Equal("GET", e.GetProperty("httpMethod").GetString());
        Assert.Equal("/", e.GetProperty("path").GetString());
        Assert.Equal("/", e.GetProperty("resource").GetString());
        Assert.Equal("a b", e.GetProperty("queryStringParameters").GetProperty("prompt").GetString());
        Assert.Equal(["1", "2"], e.GetProperty("multiValueQueryStringParameters").GetProperty("n").EnumerateArray().Select(v => v.GetString()));
        Assert.Equal("2", e.GetProperty("queryStringParameters").GetProperty("n").GetString());
        // Header names keep the client's case, in both maps.
        Assert.Equal(["one"], e.GetProperty("multiValueHeaders").GetProperty("X-Custom").EnumerateArray().Select(v => v.GetString()));
        Assert.Equal("one", e.GetProperty("headers").GetProperty("X-Custom").GetString());
        Assert.Equal(JsonValueKind.Null, e.GetProperty("body").ValueKind);
        Assert.False(e.GetProperty("isBase64Encoded").GetBoolean());
        var context = e.GetProperty("requestContext");
        Assert.Equal(next.RequestId, context.GetProperty("requestId").GetString());
        Assert.Equal("prod", context.GetProperty("stage").GetString());
        Assert.Equal(ApiKey, context.GetProperty("identity").GetProperty("apiKey").GetString());
        // The function's own parser reads it as the request it is.
        Assert.True(new ChatRequestParser(new FunctionSettings("m")).TryParse(Encoding.UTF8.GetBytes(next.Event), out var parsed, out _));
        Assert.Equal("a b", parsed!.Messages[^1].Text);

        using var post = await function.StartStreamingAsync(next.RequestId);
        await post.WriteChunkAsync(ScriptedFunction.StreamingPost.Prelude("{\"statusCode\":200,\"headers\":{\"content-type\":\"text/event-stream\"}}"));
        await post.WriteChunkAsync("data: {\"text\":\"hi\"}\n\n");
        await post.EndAsync();
        var response = await client;
        Assert.Equal(200, response.Status);
        Assert.Equal("data: {\"text\":\"hi\"}\n\n", response.Text);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("test-key-2")]
    [InlineData("TEST-KEY-1")]
    public async Task Rest_api_answers_403_to_a_missing_or_wrong_key_without_invoking_the_function(string? key)
    {
        var queued = Queued(_rest);

        var response = await StreamedResponse.SendAsync(_http, Post(_rest.FunctionUrl, "{\"prompt\":\"hi\"}", apiKey: key), Timeout);

        Assert.Equal(403, response.Status);
        Assert.Equal("{\"message\":\"Forbidden\"}", response.Text);
        Assert.Equal("ForbiddenException", response.Headers.GetValues("x-amzn-ErrorType").Single());
        Assert.Equal(queued, Queued(_rest));
    }

    [Fact]
    public async Task Rest_api_has_one_resource_the_root()
    {
        var queued = Queued(_rest);

        var response = await StreamedResponse.SendAsync(_http, Post(new Uri(_rest.FunctionUrl, "/chat"), "{\"prompt\":\"hi\"}"), Timeout);

        Assert.Equal(403, response.Status);
        Assert.Equal("{\"message\":\"Missing Authentication Token\"}", response.Text);
        Assert.Equal(queued, Queued(_rest));
    }

    [Fact]
    public async Task Rest_api_fails_a_prelude_whose_header_value_is_a_list()
    {
        var client = StreamedResponse.SendAsync(_http, Post(_rest.FunctionUrl, "{\"prompt\":\"hi\"}"), Timeout);
        using var function = new ScriptedFunction(_rest.RuntimeApiEndpoint);
        var next = await function.NextAsync();
        using var post = await function.StartStreamingAsync(next.RequestId);
        try
        {
            await post.WriteChunkAsync(ScriptedFunction.StreamingPost.Prelude("{\"statusCode\":200,\"headers\":{\"content-type\":\"text/plain\",\"vary\":[\"origin\",\"accept\"]}}"));
            await post.WriteChunkAsync("body");
        }
        catch (IOException)
        {
            // The emulator may already have dropped the connection after rejecting the prelude.
        }

        var response = await client;

        Assert.Equal(502, response.Status);
        Assert.Equal("{\"message\":\"Internal server error\"}", response.Text);
        await _rest.Events.WaitForAsync(e => e.Kind == RuntimeEventKind.ResponseFailed && e.RequestId == next.RequestId && e.Detail!.Contains("vary"), Timeout);
    }

    [Fact]
    public async Task Cloudfront_answers_403_to_a_post_without_its_body_hash_without_invoking_the_function()
    {
        const string body = "{\"prompt\":\"hi\"}";
        var queued = Queued(_cloudFront);

        var missing = await StreamedResponse.SendAsync(_http, Post(_cloudFront.FunctionUrl, body, apiKey: null), Timeout);
        var wrong = await StreamedResponse.SendAsync(_http, Post(_cloudFront.FunctionUrl, body, apiKey: null, bodyHash: Sha256(body + " ")), Timeout);
        var upperCase = await StreamedResponse.SendAsync(_http, Post(_cloudFront.FunctionUrl, body, apiKey: null, bodyHash: Sha256(body).ToUpperInvariant()), Timeout);

        foreach (var response in new[] { missing, wrong, upperCase })
        {
            Assert.Equal(403, response.Status);
            Assert.Equal("InvalidSignatureException", response.Headers.GetValues("x-amzn-ErrorType").Single());
            Assert.Contains("The request signature we calculated does not match", response.Text);
        }
        Assert.Equal(queued, Queued(_cloudFront));
    }

    [Fact]
    public async Task Cloudfront_passes_a_post_with_its_body_hash_and_a_get_without_one_as_payload_2_0_events()
    {
        const string body = "{\"prompt\":\"héllo\"}";
        using var function = new ScriptedFunction(_cloudFront.RuntimeApiEndpoint);

        var post = StreamedResponse.SendAsync(_http, Post(_cloudFront.FunctionUrl, body, apiKey: null, bodyHash: Sha256(body)), Timeout);
        var next = await function.NextAsync();
        var e = JsonDocument.Parse(next.Event).RootElement;
        Assert.Equal("2.0", e.GetProperty("version").GetString());
        Assert.Equal(body, e.GetProperty("body").GetString());
        Assert.Equal(Sha256(body), e.GetProperty("headers").GetProperty("x-amz-content-sha256").GetString());
        using (var stream = await function.StartStreamingAsync(next.RequestId))
        {
            await stream.WriteChunkAsync(ScriptedFunction.StreamingPost.Prelude("{\"statusCode\":200}"));
            await stream.EndAsync();
        }
        Assert.Equal(200, (await post).Status);

        var get = StreamedResponse.SendAsync(_http, new HttpRequestMessage(HttpMethod.Get, new Uri(_cloudFront.FunctionUrl, "/?prompt=hi")), Timeout);
        next = await function.NextAsync();
        Assert.Equal("GET", JsonDocument.Parse(next.Event).RootElement.GetProperty("requestContext").GetProperty("http").GetProperty("method").GetString());
        using (var stream = await function.StartStreamingAsync(next.RequestId))
        {
            await stream.WriteChunkAsync(ScriptedFunction.StreamingPost.Prelude("{\"statusCode\":200}"));
            await stream.EndAsync();
        }
        Assert.Equal(200, (await get).Status);
    }
}
