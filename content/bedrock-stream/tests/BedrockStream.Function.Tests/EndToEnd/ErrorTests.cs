using System.Net;
using System.Text;
using System.Text.Json;
using BedrockStream.Function.Local;

namespace BedrockStream.Function.Tests.EndToEnd;

/// <summary>Errors as a caller sees them (the README's error table), through the real function and the host.</summary>
[Collection(EndToEndCollection.Name)]
public sealed class ErrorTests(SseHostFixture fixture)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(15);

    public static TheoryData<string, string> BadBodies => new()
    {
        { "application/json", "{\"prompt\":\"\"}" },
        { "application/json", "{\"prompt\":" },
        { "application/json", "{\"prompt\":42}" },
        { "application/json", "[1,2,3]" },
    };

    [Theory]
    [MemberData(nameof(BadBodies))]
    public async Task Bad_input_is_400_with_a_json_error_and_the_model_is_not_called(string contentType, string body)
    {
        fixture.ResetModel();

        var response = await SendAsync(HttpMethod.Post, new StringContent(body, Encoding.UTF8, contentType));

        Assert.Equal(400, response.Status);
        AssertJsonError(response);
        Assert.Equal(0, fixture.Model.RequestCount);
    }

    [Fact]
    public async Task Request_over_the_size_limit_is_413_and_the_model_is_not_called()
    {
        fixture.ResetModel();

        var prompt = new string('x', HostFixture.MaxRequestBytes + 100);
        var response = await SendAsync(HttpMethod.Post, StreamedResponse.JsonContent(new { prompt }));

        Assert.Equal(413, response.Status);
        AssertJsonError(response);
        Assert.Equal(0, fixture.Model.RequestCount);
    }

    [Theory]
    [InlineData("PUT")]
    [InlineData("DELETE")]
    [InlineData("PATCH")]
    public async Task Wrong_method_is_405_with_Allow_and_the_model_is_not_called(string method)
    {
        fixture.ResetModel();

        var response = await SendAsync(new HttpMethod(method), StreamedResponse.JsonContent(new { prompt = "hi" }));

        Assert.Equal(405, response.Status);
        AssertJsonError(response);
        Assert.True(response.ContentHeaders.Allow.Count > 0 || response.Headers.Contains("Allow"), "405 without an Allow header");
        Assert.Equal(0, fixture.Model.RequestCount);
    }

    [Theory]
    [InlineData("throttling-no-retry-after", 429, 3)]
    [InlineData("unavailable", 503, 3)]
    [InlineData("access-denied", 502, 1)]
    [InlineData("not-found", 502, 1)]
    public async Task Bedrock_errors_before_the_first_token_map_to_http_statuses(string fault, int expected, int modelCalls)
    {
        fixture.ResetModel();

        // The fault is in the prompt, so every attempt fails (the function retries throttling and unavailability).
        var response = await StreamedResponse.PostJsonAsync(fixture.Http, fixture.Host.FunctionUrl, new { prompt = $"#fault:{fault} hello" }, Timeout);

        Assert.Equal(expected, response.Status);
        AssertJsonError(response);
        Assert.Equal(modelCalls, fixture.Model.RequestCount);
        if (expected == 429) Assert.True(response.Headers.RetryAfter is not null, "429 without Retry-After");
    }

    [Fact]
    public async Task A_throttled_first_attempt_is_retried_and_the_answer_streams()
    {
        fixture.ResetModel();
        fixture.Model.NextFault = FakeFault.Parse("throttling-no-retry-after"); // the first call only

        var response = await StreamedResponse.PostJsonAsync(fixture.Http, fixture.Host.FunctionUrl, new { prompt = "#tokens:4 hello" }, Timeout);

        Assert.Equal(200, response.Status);
        Assert.Equal("done", response.Events()[^1].Type);
        Assert.Equal([429, 200], fixture.Model.Requests.Select(r => r.StatusCode));
    }

    [Fact]
    public async Task A_fault_on_every_call_outlasts_the_retries_until_it_is_cleared()
    {
        fixture.ResetModel();
        fixture.Model.PersistentFault = FakeFault.Parse("throttling-no-retry-after");

        var throttled = await StreamedResponse.PostJsonAsync(fixture.Http, fixture.Host.FunctionUrl, new { prompt = "#tokens:4 hello" }, Timeout);

        Assert.Equal(429, throttled.Status);
        Assert.True(throttled.Headers.RetryAfter is not null, "429 without Retry-After");
        Assert.Equal([429, 429, 429], fixture.Model.Requests.Select(r => r.StatusCode));   // the first call and both retries

        fixture.Model.PersistentFault = null;
        var answered = await StreamedResponse.PostJsonAsync(fixture.Http, fixture.Host.FunctionUrl, new { prompt = "#tokens:4 hello" }, Timeout);
        Assert.Equal(200, answered.Status);
        Assert.Equal(200, fixture.Model.Requests[^1].StatusCode);
    }

    [Theory]
    [InlineData("stream-throttling@3")]
    [InlineData("stream-model-error@2")]
    [InlineData("stream-unavailable@1")]
    [InlineData("bad-crc@3")]
    [InlineData("no-message-stop@3")]
    [InlineData("reset@2")]
    public async Task A_failure_after_the_first_token_ends_the_stream_with_an_error_event_and_trailers(string fault)
    {
        fixture.ResetModel();

        var response = await StreamedResponse.PostJsonAsync(fixture.Http, fixture.Host.FunctionUrl, new { prompt = $"#fault:{fault} #tokens:10 tell me more" }, Timeout);

        // The status line was already out: 200, then some text, then event: error (never event: done).
        Assert.Equal(200, response.Status);
        var events = response.Events();
        Assert.Contains(events, e => e.Type == "message");
        Assert.Equal("error", events[^1].Type);
        Assert.DoesNotContain(events, e => e.Type == "done");
        Assert.False(string.IsNullOrEmpty(events[^1].Data));

        // The runtime reported the failure to Lambda with the error trailers.
        var trailers = await fixture.Host.Events.WaitForAsync(e => e.Kind == RuntimeEventKind.TrailersReceived && e.RequestId == response.RequestId, Timeout);
        Assert.False(string.IsNullOrEmpty(trailers.ErrorType));
        Assert.False(string.IsNullOrEmpty(trailers.ErrorBody));

        // And the next invocation succeeds.
        var next = await StreamedResponse.PostJsonAsync(fixture.Http, fixture.Host.FunctionUrl, new { prompt = "#tokens:3 are you fine?" }, Timeout);
        Assert.Equal(200, next.Status);
        Assert.Equal("done", next.Events()[^1].Type);
    }

    [Fact]
    public async Task Guardrail_stop_reason_reaches_the_done_event()
    {
        fixture.ResetModel();

        var response = await StreamedResponse.PostJsonAsync(fixture.Http, fixture.Host.FunctionUrl, new { prompt = "#fault:guardrail@2 #tokens:10 something" }, Timeout);

        Assert.Equal(200, response.Status);
        var last = response.Events()[^1];
        Assert.Contains("guardrail_intervened", last.Data);
    }

    private Task<StreamedResponse> SendAsync(HttpMethod method, HttpContent content) =>
        StreamedResponse.SendAsync(fixture.Http, new HttpRequestMessage(method, fixture.Host.FunctionUrl) { Content = content }, Timeout);

    /// <summary><c>{"error":{"type":"...","message":"..."}}</c> as application/json.</summary>
    private static void AssertJsonError(StreamedResponse response)
    {
        Assert.Equal("application/json", response.MediaType);
        using var doc = JsonDocument.Parse(response.Body);
        var error = doc.RootElement.GetProperty("error");
        Assert.False(string.IsNullOrEmpty(error.GetProperty("type").GetString()));
        Assert.False(string.IsNullOrEmpty(error.GetProperty("message").GetString()));
    }
}
