using System.Diagnostics;
using System.Text.Json;
using BedrockStream.Function.Local;
using BedrockStream.Function.Tests.EndToEnd;

namespace BedrockStream.Function.Tests.Reliability;

/// <summary>
/// Every Bedrock failure the fake model can inject, through the real function process (issue 5, point 1):
/// the caller sees what the README's error table says, and the SAME process (same pid: no crash, no restart) then
/// serves a normal invocation. The fault is in the prompt (<c>#fault:name</c>), so retries fail too.
/// </summary>
[Collection(ReliabilityCollection.Name)]
public sealed class FaultMatrixTests(ReliabilityHost fixture)
{
    /// <summary>fault, Bedrock's HTTP status, caller's status, error type, model calls, Retry-After.</summary>
    public static TheoryData<string, int, int, string, int, string?> BeforeTheStream => new()
    {
        // "The provided model identifier is invalid": the function's configuration, not the caller's input.
        { "validation", 400, 502, "Validation", 1, null },
        { "access-denied", 403, 502, "AccessDenied", 1, null },
        { "not-found", 404, 502, "ResourceNotFound", 1, null },
        // Bedrock's Retry-After (2 s) plus a minimal attempt does not fit before the deadline: no retry, the hint is
        // passed on.
        { "throttling", 429, 429, "Throttling", 1, "2" },
        // No hint: jittered backoff, two retries within the deadline, then 429 with the default hint.
        { "throttling-no-retry-after", 429, 429, "Throttling", 3, "1" },
        { "internal", 500, 503, "InternalServer", 1, null },
        { "unavailable", 503, 503, "ServiceUnavailable", 3, null },
    };

    [Theory]
    [MemberData(nameof(BeforeTheStream))]
    public async Task A_bedrock_error_before_the_stream_is_a_mapped_json_error_and_the_process_serves_on(
        string fault, int bedrockStatus, int status, string type, int modelCalls, string? retryAfter)
    {
        fixture.ResetModel();
        var pid = fixture.FunctionPid;

        var response = await PostAsync($"#fault:{fault} hello");

        Assert.True(status == response.Status, $"{fault}: caller got {response.Status}, expected {status}: {response.Text}");
        Assert.Equal("application/json", response.MediaType);
        var error = ErrorOf(response);
        Assert.Equal(type, error.GetProperty("type").GetString());
        Assert.False(string.IsNullOrWhiteSpace(error.GetProperty("message").GetString()));
        Assert.Equal(retryAfter, response.Headers.TryGetValues("Retry-After", out var values) ? values.Single() : null);
        Assert.All(fixture.Model.Requests, r => Assert.Equal(bedrockStatus, r.StatusCode));
        Assert.Equal(modelCalls, fixture.Model.RequestCount);
        // Before the first byte the runtime reports through /error, not with trailers.
        await fixture.Host.Events.WaitForAsync(e => e.Kind is RuntimeEventKind.ResponseCompleted or RuntimeEventKind.InvocationError && e.RequestId == response.RequestId, ReliabilityHost.Wait);
        Assert.DoesNotContain(fixture.Host.Events.Snapshot(), e => e.Kind == RuntimeEventKind.TrailersReceived && e.RequestId == response.RequestId);

        await AssertSameProcessServesAsync(pid);
    }

    /// <summary>fault, text events expected before the error, error type in <c>event: error</c>.</summary>
    public static TheoryData<string, int, string> AfterTheFirstToken => new()
    {
        { "stream-throttling@3", 3, "Throttling" },
        { "stream-model-error@3", 3, "ModelStreamError" },
        { "stream-internal@3", 3, "InternalServer" },
        { "stream-validation@3", 3, "Validation" },
        { "stream-unavailable@3", 3, "ServiceUnavailable" },
        { "no-message-stop@3", 3, "" },
        { "bad-crc@3", 2, "" },   // the third frame is the corrupted one: never relayed
        { "reset@3", 3, "" },
    };

    [Theory]
    [MemberData(nameof(AfterTheFirstToken))]
    public async Task A_failure_after_the_first_token_ends_the_stream_with_an_error_event_and_trailers_and_the_process_serves_on(
        string fault, int textEvents, string type)
    {
        fixture.ResetModel();
        var pid = fixture.FunctionPid;

        var response = await PostAsync($"#fault:{fault} #tokens:10 tell me more");

        Assert.Equal(200, response.Status);
        var events = response.Events();
        Assert.Equal(textEvents, events.Count(e => e.Type == "message"));
        Assert.Equal("error", events[^1].Type);
        Assert.DoesNotContain(events, e => e.Type == "done");
        var error = events[^1].Json;
        var actualType = error.GetProperty("type").GetString();
        Assert.False(string.IsNullOrEmpty(actualType));
        if (type.Length > 0) Assert.Equal(type, actualType);
        Assert.False(string.IsNullOrWhiteSpace(error.GetProperty("message").GetString()));
        Assert.Equal(1, fixture.Model.RequestCount);   // never retried once bytes were out

        var trailers = await fixture.Host.Events.WaitForAsync(e => e.Kind == RuntimeEventKind.TrailersReceived && e.RequestId == response.RequestId, ReliabilityHost.Wait);
        Assert.False(string.IsNullOrEmpty(trailers.ErrorType));
        Assert.False(string.IsNullOrEmpty(trailers.ErrorBody));

        await AssertSameProcessServesAsync(pid);
    }

    [Fact]
    public async Task A_model_stalling_past_the_deadline_ends_the_stream_with_a_timeout_event_before_the_deadline_and_the_process_serves_on()
    {
        fixture.ResetModel();
        var pid = fixture.FunctionPid;
        var started = Stopwatch.GetTimestamp();

        var response = await PostAsync("#fault:stall@2 #tokens:10 wait for it");

        var elapsed = Stopwatch.GetElapsedTime(started);
        Assert.Equal(200, response.Status);
        var events = response.Events();
        Assert.Equal(2, events.Count(e => e.Type == "message"));
        Assert.Equal("error", events[^1].Type);
        Assert.Equal("Timeout", events[^1].Json.GetProperty("type").GetString());
        // Cut by the function at (deadline - margin), not by the host at the deadline.
        Assert.True(elapsed < ReliabilityHost.FunctionTimeout, $"the stream ended after {elapsed.TotalMilliseconds:0} ms, past the {ReliabilityHost.FunctionTimeout.TotalMilliseconds:0} ms deadline");
        await fixture.Host.Events.WaitForAsync(e => e.Kind == RuntimeEventKind.ResponseCompleted && e.RequestId == response.RequestId, ReliabilityHost.Wait);
        Assert.DoesNotContain(fixture.Host.Events.Snapshot(), e => e.Kind == RuntimeEventKind.InvocationTimedOut && e.RequestId == response.RequestId);
        await fixture.Model.Requests.Single().Completed.WaitAsync(ReliabilityHost.Wait);   // the stalled call was dropped

        await AssertSameProcessServesAsync(pid);
    }

    [Fact]
    public async Task A_guardrail_stop_reason_ends_the_stream_with_done_and_the_process_serves_on()
    {
        fixture.ResetModel();
        var pid = fixture.FunctionPid;

        var response = await PostAsync("#fault:guardrail@2 #tokens:10 something sensitive");

        Assert.Equal(200, response.Status);
        var events = response.Events();
        Assert.Equal(2, events.Count(e => e.Type == "message"));
        Assert.Equal("done", events[^1].Type);
        Assert.Equal("guardrail_intervened", events[^1].Json.GetProperty("stopReason").GetString());
        Assert.DoesNotContain(events, e => e.Type == "error");

        await AssertSameProcessServesAsync(pid);
    }

    [Fact]
    public async Task A_client_disconnecting_mid_stream_stops_the_model_call_promptly_and_the_next_invocation_is_clean()
    {
        const int tokens = 500;
        fixture.ResetModel(tokenRate: 50); // 20 ms a token: 10 s for the whole answer
        var pid = fixture.FunctionPid;

        string requestId;
        long disconnectedAt;
        // A client that really hangs up: HttpClient's default handler would drain the rest for up to 2 s first.
        using (var client = new HttpClient(new SocketsHttpHandler { MaxResponseDrainSize = 0 }) { Timeout = Timeout.InfiniteTimeSpan })
        using (var cts = new CancellationTokenSource(ReliabilityHost.Wait))
        {
            var request = new HttpRequestMessage(HttpMethod.Post, fixture.Host.FunctionUrl) { Content = StreamedResponse.JsonContent(new { prompt = $"#tokens:{tokens} a long answer" }) };
            using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cts.Token);
            requestId = response.Headers.GetValues("x-amzn-RequestId").First();
            await using var stream = await response.Content.ReadAsStreamAsync(cts.Token);
            Assert.True(await stream.ReadAsync(new byte[256], cts.Token) > 0);
            disconnectedAt = Stopwatch.GetTimestamp();
        } // the connection closes mid-stream

        await fixture.Host.Events.WaitForAsync(e => e.Kind == RuntimeEventKind.ClientDisconnected && e.RequestId == requestId, ReliabilityHost.Wait);
        var model = Assert.Single(fixture.Model.Requests);
        await model.Completed.WaitAsync(ReliabilityHost.Wait);
        var stoppedAfter = Stopwatch.GetElapsedTime(disconnectedAt);
        var written = model.Frames.Count(f => f.Type == "contentBlockDelta");
        // The function's next write failed, it dropped the Bedrock connection, and the model's write failed in turn.
        Assert.True(stoppedAfter < TimeSpan.FromSeconds(1), $"the model call ended {stoppedAfter.TotalMilliseconds:0} ms after the client left, after {written} tokens{Environment.NewLine}{string.Join(Environment.NewLine, fixture.Host.Events.Snapshot().Select(e => $"{StreamedResponse.Ms(disconnectedAt, e.Timestamp):0} {e.Kind} {e.Detail}"))}{Environment.NewLine}{fixture.RecentLog}");
        Assert.True(written < tokens / 4, $"the model wrote {written} of {tokens} tokens to nobody");
        await fixture.Host.Events.WaitForAsync(e => e.Kind is RuntimeEventKind.ResponseCompleted or RuntimeEventKind.ResponseFailed or RuntimeEventKind.TrailersReceived && e.RequestId == requestId, ReliabilityHost.Wait);

        fixture.Model.TokenRate = 0;
        await AssertSameProcessServesAsync(pid);
        Assert.Equal(2, fixture.Model.RequestCount);   // one call for the next invocation, nothing left over
    }

    private async Task AssertSameProcessServesAsync(int pid)
    {
        var before = fixture.Model.RequestCount;
        var next = await PostAsync("#tokens:3 are you still there?");
        Assert.True(next.Status == 200, $"the next invocation got {next.Status}: {next.Text}{Environment.NewLine}{fixture.RecentLog}");
        Assert.Equal("done", next.Events()[^1].Type);
        Assert.Equal(3, next.Events().Count(e => e.Type == "message"));
        Assert.Equal(before + 1, fixture.Model.RequestCount);
        Assert.True(pid == fixture.Host.FunctionProcessId, $"the function process changed from {pid} to {fixture.Host.FunctionProcessId}: it crashed or was restarted{Environment.NewLine}{fixture.RecentLog}");
    }

    private Task<StreamedResponse> PostAsync(string prompt) =>
        StreamedResponse.PostJsonAsync(fixture.Http, fixture.Host.FunctionUrl, new { prompt }, ReliabilityHost.Wait);

    private static JsonElement ErrorOf(StreamedResponse response)
    {
        using var doc = JsonDocument.Parse(response.Body);
        return doc.RootElement.GetProperty("error").Clone();
    }
}
