using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using BedrockStream.Function.Local;

namespace BedrockStream.Function.Tests.EndToEnd;

/// <summary>
/// The local host's own contract, with the test playing the function byte by byte (no function process):
/// payload-2.0 events, /next headers, prelude parsing, chunk relay, trailers, /error, /init/error,
/// buffered answers, malformed preludes, queue and deadline timeouts.
/// </summary>
public sealed class RuntimeApiEmulatorTests : IAsyncLifetime
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);
    private LocalHost _host = null!;
    private ScriptedFunction _function = null!;
    private readonly HttpClient _http = new() { Timeout = System.Threading.Timeout.InfiniteTimeSpan };

    public async Task InitializeAsync()
    {
        _host = await LocalHost.StartAsync(new LocalHostOptions { StartFunction = false, FunctionTimeout = TimeSpan.FromSeconds(20), Log = _ => { } });
        _function = new ScriptedFunction(_host.RuntimeApiEndpoint);
    }

    public async Task DisposeAsync()
    {
        _function.Dispose();
        _http.Dispose();
        await _host.DisposeAsync();
    }

    [Fact]
    public async Task Next_hands_out_a_payload_2_0_event_with_lambda_headers()
    {
        var request = new HttpRequestMessage(HttpMethod.Post, new Uri(_host.FunctionUrl, "/chat/v1?a=1&a=2&b=x%20y"))
        {
            Content = new StringContent("{\"prompt\":\"héllo\"}", Encoding.UTF8, "application/json"),
        };
        request.Headers.Add("Cookie", "c1=v1; c2=v2");
        request.Headers.Add("X-Custom", "one");
        var client = StreamedResponse.SendAsync(_http, request, Timeout);

        var next = await _function.NextAsync();

        Assert.True(Guid.TryParse(next.RequestId, out _));
        var deadline = DateTimeOffset.FromUnixTimeMilliseconds(long.Parse(next.Headers["Lambda-Runtime-Deadline-Ms"], CultureInfo.InvariantCulture));
        Assert.InRange(deadline - DateTimeOffset.UtcNow, TimeSpan.FromSeconds(15), TimeSpan.FromSeconds(21));
        Assert.Matches(@"^arn:aws:lambda:us-east-1:123456789012:function:[\w-]+$", next.Headers["Lambda-Runtime-Invoked-Function-Arn"]);
        Assert.Matches(@"^Root=1-[0-9a-f]{8}-[0-9a-f]{24};Parent=[0-9a-f]{16};Sampled=0$", next.Headers["Lambda-Runtime-Trace-Id"]);

        var e = JsonDocument.Parse(next.Event).RootElement;
        Assert.Equal("2.0", e.GetProperty("version").GetString());
        Assert.Equal("$default", e.GetProperty("routeKey").GetString());
        Assert.Equal("/chat/v1", e.GetProperty("rawPath").GetString());
        Assert.Equal("a=1&a=2&b=x%20y", e.GetProperty("rawQueryString").GetString());
        Assert.Equal("1,2", e.GetProperty("queryStringParameters").GetProperty("a").GetString());
        Assert.Equal("x y", e.GetProperty("queryStringParameters").GetProperty("b").GetString());
        Assert.Equal(["c1=v1", "c2=v2"], e.GetProperty("cookies").EnumerateArray().Select(c => c.GetString()));
        var headers = e.GetProperty("headers");
        Assert.Equal("one", headers.GetProperty("x-custom").GetString());
        Assert.False(headers.TryGetProperty("cookie", out _));
        Assert.All(headers.EnumerateObject(), h => Assert.Equal(h.Name.ToLowerInvariant(), h.Name));
        var http = e.GetProperty("requestContext").GetProperty("http");
        Assert.Equal("POST", http.GetProperty("method").GetString());
        Assert.Equal("/chat/v1", http.GetProperty("path").GetString());
        Assert.Equal("HTTP/1.1", http.GetProperty("protocol").GetString());
        Assert.Equal("127.0.0.1", http.GetProperty("sourceIp").GetString());
        Assert.Equal(next.RequestId, e.GetProperty("requestContext").GetProperty("requestId").GetString());
        Assert.Equal("{\"prompt\":\"héllo\"}", e.GetProperty("body").GetString());
        Assert.False(e.GetProperty("isBase64Encoded").GetBoolean());

        using var post = await _function.StartStreamingAsync(next.RequestId);
        await post.WriteChunkAsync(ScriptedFunction.StreamingPost.Prelude("{\"statusCode\":204}"));
        Assert.StartsWith("HTTP/1.1 202", await post.EndAsync());
        Assert.Equal(204, (await client).Status);
    }

    [Fact]
    public async Task Binary_bodies_are_base64_and_no_query_means_no_queryStringParameters()
    {
        var client = StreamedResponse.SendAsync(_http, new HttpRequestMessage(HttpMethod.Post, _host.FunctionUrl)
        {
            Content = new ByteArrayContent([0xff, 0x00, 0x01]) { Headers = { ContentType = new("application/octet-stream") } },
        }, Timeout);

        var next = await _function.NextAsync();
        var e = JsonDocument.Parse(next.Event).RootElement;
        Assert.Equal("/wAB", e.GetProperty("body").GetString());
        Assert.True(e.GetProperty("isBase64Encoded").GetBoolean());
        Assert.False(e.TryGetProperty("queryStringParameters", out _));
        Assert.Equal("", e.GetProperty("rawQueryString").GetString());

        using var post = await _function.StartStreamingAsync(next.RequestId);
        await post.WriteChunkAsync(ScriptedFunction.StreamingPost.Prelude("{\"statusCode\":200}"));
        await post.EndAsync();
        await client;
    }

    [Fact]
    public async Task Each_chunk_reaches_the_client_before_the_next_is_written_and_trailers_are_recorded()
    {
        var request = new HttpRequestMessage(HttpMethod.Post, _host.FunctionUrl) { Content = new StringContent("x") };
        using var cts = new CancellationTokenSource(Timeout);
        var responseTask = _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cts.Token);
        var next = await _function.NextAsync();
        using var post = await _function.StartStreamingAsync(next.RequestId);
        await post.WriteChunkAsync(ScriptedFunction.StreamingPost.Prelude(
            "{\"statusCode\":201,\"headers\":{\"content-type\":\"text/event-stream\",\"x-custom\":\"yes\"},\"cookies\":[\"session=abc; HttpOnly\"]}"));

        // The status line and headers arrive as soon as the prelude is complete, before any body byte.
        using var response = await responseTask;
        Assert.Equal(201, (int)response.StatusCode);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("yes", response.Headers.GetValues("x-custom").Single());
        Assert.Equal("session=abc; HttpOnly", response.Headers.GetValues("Set-Cookie").Single());
        await using var body = await response.Content.ReadAsStreamAsync(cts.Token);

        // Lock-step: the test writes chunk i only after the client has read chunk i-1, so nothing can be buffered.
        var buffer = new byte[1024];
        for (var i = 0; i < 5; i++)
        {
            var chunk = $"data: {{\"text\":\"token {i} é\"}}\n\n";
            var written = Stopwatch.GetTimestamp();
            await post.WriteChunkAsync(chunk);
            var received = new StringBuilder();
            while (received.Length < chunk.Length)
            {
                var n = await body.ReadAsync(buffer, cts.Token);
                Assert.True(n > 0, "the stream ended early");
                received.Append(Encoding.UTF8.GetString(buffer, 0, n));
            }
            Assert.Equal(chunk, received.ToString());
            Assert.True(Stopwatch.GetElapsedTime(written).TotalSeconds < 2);
        }

        var status = await post.EndAsync("Function.StreamFailed", "{\"errorMessage\":\"model went away\",\"errorType\":\"Function.StreamFailed\"}");
        Assert.StartsWith("HTTP/1.1 202", status);
        Assert.Equal(0, await body.ReadAsync(buffer, cts.Token));
        var trailers = await _host.Events.WaitForAsync(e => e.Kind == RuntimeEventKind.TrailersReceived && e.RequestId == next.RequestId, Timeout);
        Assert.Equal("Function.StreamFailed", trailers.ErrorType);
        Assert.Contains("model went away", trailers.ErrorBody);
    }

    [Theory]
    [InlineData("{not json")]
    [InlineData("[1,2]")]
    [InlineData("{\"statusCode\":\"ok\"}")]
    public async Task A_malformed_prelude_is_a_502_for_the_client(string prelude)
    {
        var client = StreamedResponse.SendAsync(_http, new HttpRequestMessage(HttpMethod.Get, new Uri(_host.FunctionUrl, "/x")), Timeout);
        var next = await _function.NextAsync();
        using var post = await _function.StartStreamingAsync(next.RequestId);
        try
        {
            await post.WriteChunkAsync(ScriptedFunction.StreamingPost.Prelude(prelude));
            await post.WriteChunkAsync("body");
        }
        catch (IOException)
        {
            // The emulator may already have dropped the connection after rejecting the prelude.
        }

        var response = await client;

        Assert.Equal(502, response.Status);
        Assert.Equal("{\"Message\":\"Internal Server Error\"}", response.Text);
        await _host.Events.WaitForAsync(e => e.Kind == RuntimeEventKind.ResponseFailed && e.RequestId == next.RequestId && e.Detail!.Contains("prelude"), Timeout);
    }

    [Fact]
    public async Task A_prelude_without_its_8_NUL_bytes_in_16_KB_is_a_502()
    {
        var client = StreamedResponse.SendAsync(_http, new HttpRequestMessage(HttpMethod.Get, new Uri(_host.FunctionUrl, "/x")), Timeout);
        var next = await _function.NextAsync();
        using var post = await _function.StartStreamingAsync(next.RequestId);
        await post.WriteChunkAsync("{\"statusCode\":200,\"pad\":\"" + new string('a', 17 * 1024) + "\"}");

        var response = await client;

        Assert.Equal(502, response.Status);
        var failed = await _host.Events.WaitForAsync(e => e.Kind == RuntimeEventKind.ResponseFailed && e.RequestId == next.RequestId, Timeout);
        Assert.Contains("8 NUL", failed.Detail);
    }

    [Fact]
    public async Task Broken_chunk_framing_is_a_502_when_nothing_was_sent()
    {
        var client = StreamedResponse.SendAsync(_http, new HttpRequestMessage(HttpMethod.Get, new Uri(_host.FunctionUrl, "/x")), Timeout);
        var next = await _function.NextAsync();
        using var post = await _function.StartStreamingAsync(next.RequestId);
        await post.WriteRawAsync("zz\r\nnot a chunk\r\n");

        var response = await client;

        Assert.Equal(502, response.Status);
        await _host.Events.WaitForAsync(e => e.Kind == RuntimeEventKind.ResponseFailed && e.RequestId == next.RequestId, Timeout);
    }

    [Fact]
    public async Task Error_before_the_first_byte_is_a_502_like_a_function_url()
    {
        var client = StreamedResponse.SendAsync(_http, new HttpRequestMessage(HttpMethod.Get, new Uri(_host.FunctionUrl, "/x")), Timeout);
        var next = await _function.NextAsync();

        var status = await _function.PostAsync($"invocation/{next.RequestId}/error", "{\"errorMessage\":\"boom\",\"errorType\":\"Function.Boom\"}",
            ("Lambda-Runtime-Function-Error-Type", "Function.Boom"));

        Assert.Equal(202, status);
        var response = await client;
        Assert.Equal(502, response.Status);
        Assert.Equal("{\"Message\":\"Internal Server Error\"}", response.Text);
        var error = await _host.Events.WaitForAsync(e => e.Kind == RuntimeEventKind.InvocationError && e.RequestId == next.RequestId, Timeout);
        Assert.Equal("Function.Boom", error.ErrorType);
        Assert.Contains("boom", error.ErrorBody);
        // A late /response for the same id is refused.
        Assert.Equal(400, await _function.PostAsync($"invocation/{next.RequestId}/response", "{}"));
    }

    [Fact]
    public async Task Init_error_fails_the_waiting_request_with_502()
    {
        var client = StreamedResponse.SendAsync(_http, new HttpRequestMessage(HttpMethod.Get, new Uri(_host.FunctionUrl, "/x")), Timeout);
        await _host.Events.WaitForAsync(e => e.Kind == RuntimeEventKind.InvocationQueued, Timeout);

        var status = await _function.PostAsync("init/error", "{\"errorMessage\":\"MODEL_ID is not set\",\"errorType\":\"Runtime.ConfigInvalid\"}",
            ("Lambda-Runtime-Function-Error-Type", "Runtime.ConfigInvalid"));

        Assert.Equal(202, status);
        Assert.Equal(502, (await client).Status);
        var init = await _host.Events.WaitForAsync(e => e.Kind == RuntimeEventKind.InitError, Timeout);
        Assert.Equal("Runtime.ConfigInvalid", init.ErrorType);
    }

    [Fact]
    public async Task Buffered_responses_are_relayed_whole()
    {
        var structured = StreamedResponse.SendAsync(_http, new HttpRequestMessage(HttpMethod.Get, new Uri(_host.FunctionUrl, "/a")), Timeout);
        var next = await _function.NextAsync();
        Assert.Equal(202, await _function.PostAsync($"invocation/{next.RequestId}/response",
            "{\"statusCode\":418,\"headers\":{\"content-type\":\"text/plain\"},\"cookies\":[\"k=v\"],\"body\":\"aGk=\",\"isBase64Encoded\":true}"));
        var first = await structured;
        Assert.Equal(418, first.Status);
        Assert.Equal("hi", first.Text);
        Assert.Equal("k=v", first.Headers.GetValues("Set-Cookie").Single());

        var raw = StreamedResponse.SendAsync(_http, new HttpRequestMessage(HttpMethod.Get, new Uri(_host.FunctionUrl, "/b")), Timeout);
        next = await _function.NextAsync();
        Assert.Equal(202, await _function.PostAsync($"invocation/{next.RequestId}/response", "{\"answer\":42}"));
        var second = await raw;
        Assert.Equal(200, second.Status);
        Assert.Equal("application/json", second.MediaType);
        Assert.Equal("{\"answer\":42}", second.Text);
    }

    [Fact]
    public async Task Chat_page_and_local_endpoints_are_served_by_the_host()
    {
        using var response = await _http.GetAsync(_host.FunctionUrl);
        var page = await response.Content.ReadAsStringAsync();
        foreach (var id in new[] { "id=\"prompt\"", "id=\"send\"", "id=\"stop\"", "id=\"new-chat\"", "id=\"conversation\"", "id=\"status\"", "id=\"settings\"" })
            Assert.Contains(id, page);
        Assert.Contains("getReader()", page);
        Assert.DoesNotContain("<script src=", page);
        // Self-contained, and model text is only ever set as text: no markup parsing anywhere in the page.
        Assert.DoesNotMatch(@"(src|href)=""https?:", page);
        foreach (var sink in new[] { "innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(" })
            Assert.DoesNotContain(sink, page);
        // Only the page's own script and style run, and it talks to this host only.
        var policy = response.Headers.GetValues("Content-Security-Policy").Single();
        Assert.Matches(@"script-src 'sha256-[A-Za-z0-9+/=]{44}';", policy);
        Assert.Contains("connect-src 'self'", policy);
        Assert.DoesNotContain("unsafe-inline", policy);

        var status = await _http.GetStringAsync(new Uri(_host.FunctionUrl, "/_local/status"));
        Assert.Contains("\"functionUrl\"", status);
        Assert.Contains("\"format\":\"sse\"", status);
        Assert.DoesNotContain(_host.Events.Snapshot(), e => e.Kind == RuntimeEventKind.InvocationQueued);
    }

    [Fact]
    public async Task The_fake_model_settings_endpoint_sets_the_token_rate_and_a_fault_for_the_next_or_every_call()
    {
        var model = _host.FakeModel!;
        var endpoint = new Uri(_host.FunctionUrl, "/_local/fake-model");
        async Task<(int Status, JsonElement Body)> PostAsync(string json, string type = "application/json")
        {
            using var response = await _http.PostAsync(endpoint, new StringContent(json, Encoding.UTF8, type));
            return ((int)response.StatusCode, JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone());
        }

        var settings = JsonDocument.Parse(await _http.GetStringAsync(endpoint)).RootElement;
        Assert.Equal(model.TokenRate, settings.GetProperty("tokenRate").GetDouble());
        Assert.Equal(JsonValueKind.Null, settings.GetProperty("fault").ValueKind);
        var faults = settings.GetProperty("faults").EnumerateArray().ToDictionary(f => f.GetProperty("name").GetString()!, f => f.GetProperty("description").GetString()!);
        Assert.Equal(FakeFault.Names.Order(), faults.Keys.Order());
        Assert.Contains("Retry-After", faults["throttling"]);

        var (status, body) = await PostAsync("""{"tokenRate":12.5,"fault":"stream-throttling@4","scope":"every"}""");
        Assert.Equal(200, status);
        Assert.Equal(("stream-throttling@4", "every"), (body.GetProperty("fault").GetString(), body.GetProperty("scope").GetString()));
        Assert.Equal(12.5, model.TokenRate);
        Assert.Equal(FakeFault.Parse("stream-throttling@4"), model.PersistentFault);
        Assert.Null(model.NextFault);

        // All or nothing, and JSON only: a cross-site form or a no-preflight fetch (text/plain) changes nothing.
        Assert.Equal(400, (await PostAsync("""{"tokenRate":1,"fault":"no-such-fault"}""")).Status);
        Assert.Equal(400, (await PostAsync("""{"tokenRate":-1}""")).Status);
        Assert.Equal(400, (await PostAsync("""{"scope":"sometimes"}""")).Status);
        Assert.Equal(415, (await PostAsync("""{"tokenRate":1}""", "text/plain")).Status);
        Assert.Equal(12.5, model.TokenRate);
        Assert.Equal(FakeFault.Parse("stream-throttling@4"), model.PersistentFault);

        (status, body) = await PostAsync("""{"fault":"throttling"}""");
        Assert.Equal(200, status);
        Assert.Equal("next", body.GetProperty("scope").GetString());
        Assert.Equal((FakeFault.Parse("throttling"), (FakeFault?)null), (model.NextFault, model.PersistentFault));

        (status, body) = await PostAsync("""{"fault":""}""");
        Assert.Equal(200, status);
        Assert.Equal(JsonValueKind.Null, body.GetProperty("fault").ValueKind);
        Assert.Equal(((FakeFault?)null, (FakeFault?)null), (model.NextFault, model.PersistentFault));
        Assert.DoesNotContain(_host.Events.Snapshot(), e => e.Kind == RuntimeEventKind.InvocationQueued);
    }
}

/// <summary>Every wait of the host is bounded by the function timeout: no request hangs.</summary>
public sealed class HostTimeoutTests
{
    [Fact]
    public async Task A_request_the_function_never_takes_gets_504_and_one_it_never_answers_gets_502()
    {
        await using var host = await LocalHost.StartAsync(new LocalHostOptions { StartFunction = false, FunctionTimeout = TimeSpan.FromSeconds(1), Log = _ => { } });
        using var http = new HttpClient();
        using var function = new ScriptedFunction(host.RuntimeApiEndpoint);

        // Nobody polls /next: the request waits one function timeout in the queue, then 504.
        var queued = await StreamedResponse.SendAsync(http, new HttpRequestMessage(HttpMethod.Get, new Uri(host.FunctionUrl, "/q")), TimeSpan.FromSeconds(10));
        Assert.Equal(504, queued.Status);
        await host.Events.WaitForAsync(e => e.Kind == RuntimeEventKind.QueueTimedOut, TimeSpan.FromSeconds(5));

        // Handed out but never answered: at the deadline the client gets 502 and the emulator logs the timeout.
        var client = StreamedResponse.SendAsync(http, new HttpRequestMessage(HttpMethod.Get, new Uri(host.FunctionUrl, "/d")), TimeSpan.FromSeconds(10));
        var next = await function.NextAsync();
        Assert.Equal(502, (await client).Status);
        await host.Events.WaitForAsync(e => e.Kind == RuntimeEventKind.InvocationTimedOut && e.RequestId == next.RequestId, TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task A_taken_port_fails_start_up_with_a_clear_error()
    {
        await using var first = await LocalHost.StartAsync(new LocalHostOptions { StartFunction = false, Log = _ => { } });
        var ex = await Assert.ThrowsAsync<PortInUseException>(() =>
            LocalHost.StartAsync(new LocalHostOptions { StartFunction = false, Port = first.FunctionUrl.Port, Log = _ => { } }));
        Assert.Contains(first.FunctionUrl.Port.ToString(CultureInfo.InvariantCulture), ex.Message);
    }

    [Fact]
    public async Task A_function_that_exits_before_polling_fails_start_up_with_its_output()
    {
        var ex = await Assert.ThrowsAsync<InvalidOperationException>(() => LocalHost.StartAsync(new LocalHostOptions
        {
            FunctionCommand = $"{FunctionLocator.DotnetHost()} --version",
            StartupTimeout = TimeSpan.FromSeconds(20),
            Log = _ => { },
        }));
        Assert.Contains("before its first /next poll", ex.Message);
    }
}
