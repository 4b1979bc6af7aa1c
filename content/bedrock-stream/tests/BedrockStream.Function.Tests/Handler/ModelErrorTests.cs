using System.Text.Json.Nodes;
using BedrockStream.Function.Runtime;

namespace BedrockStream.Function.Tests.Handler;

/// <summary>Bedrock errors before and after the first token, retries, and the deadline.</summary>
public class ModelErrorTests
{
    private static readonly byte[] Prompt = Events.Post("{\"prompt\":\"hi\"}");

    [Theory]
    [InlineData("ThrottlingException", "Too many requests", 429, "Throttling")]
    [InlineData("ModelNotReadyException", "Model is not ready", 429, "ModelNotReady")]
    [InlineData("AccessDeniedException", "User: arn:aws:sts::123456789012:assumed-role/fn-role/x is not authorized", 502, "AccessDenied")]
    [InlineData("ResourceNotFoundException", "Model not found in account 123456789012", 502, "ResourceNotFound")]
    [InlineData("ValidationException", "The provided model identifier is invalid.", 502, "Validation")]
    [InlineData("ValidationException", "Invocation of model ID x with on-demand throughput isn't supported. Retry with an inference profile.", 502, "Validation")]
    [InlineData("ValidationException", "A conversation must alternate between user and assistant roles.", 400, "Validation")]
    [InlineData("ServiceUnavailableException", "Service unavailable", 503, "ServiceUnavailable")]
    [InlineData("InternalServerException", "Internal error", 503, "InternalServer")]
    [InlineData("ModelTimeoutException", "Model timed out", 503, "ModelTimeout")]
    [InlineData("ModelErrorException", "The model failed", 502, "ModelError")]
    [InlineData("ConnectionError", "Connection reset", 502, "ConnectionError")]
    public async Task Bedrock_errors_before_the_first_token_are_mapped_json_errors(string code, string message, int status, string type)
    {
        var h = new Harness(new FakeChatClient(null, [Step.Throw(code, message)]));

        await h.RunAsync(Prompt);   // no exception: the caller gets a proper HTTP error

        Assert.Equal(status, h.Response.Status);
        Assert.Equal("application/json", h.Response.Header("Content-Type"));
        var error = Assert.IsType<JsonObject>(JsonNode.Parse(Assert.Single(h.Response.Chunks))!["error"]);
        Assert.Equal(type, (string?)error["type"]);
        if (status == 400)
            Assert.Contains(message, (string?)error["message"]);   // about the caller's input: worth showing
        else
            Assert.DoesNotContain("123456789012", h.Response.Body);   // account ids and roles stay in the log
        Assert.Equal(status == 429 ? "1" : null, h.Response.Header("Retry-After"));
    }

    [Theory]
    [InlineData(2500, "3")]
    [InlineData(0, "1")]
    [InlineData(null, "1")]
    public async Task Throttling_sends_Retry_After_from_the_hint_or_1(int? retryAfterMs, string expected)
    {
        var retryAfter = retryAfterMs is { } ms ? TimeSpan.FromMilliseconds(ms) : (TimeSpan?)null;
        var h = new Harness(new FakeChatClient(null, [Step.Throw("ModelNotReadyException", "not ready", retryAfter)]));

        await h.RunAsync(Prompt);

        Assert.Equal(429, h.Response.Status);
        Assert.Equal(expected, h.Response.Header("Retry-After"));
    }

    [Fact]
    public async Task Sse_error_after_the_first_token_ends_with_an_error_event_and_rethrows()
    {
        var h = new Harness(new FakeChatClient(null, [Step.Delta("Hal"), Step.Throw("ModelStreamErrorException", "stream broke")]));

        var thrown = await Assert.ThrowsAsync<ModelException>(() => h.RunAsync(Prompt));

        Assert.Equal("ModelStreamErrorException", thrown.ErrorCode);
        Assert.Equal(200, h.Response.Status);
        Assert.Equal(
            ["data: {\"text\":\"Hal\"}\n\n", "event: error\ndata: {\"type\":\"ModelStreamError\",\"message\":\"The model call failed (ModelStreamErrorException).\"}\n\n"],
            h.Response.TextChunks);
        Assert.Single(h.Model.Calls);   // never retried once bytes are out
    }

    [Fact]
    public async Task Text_error_after_the_first_token_ends_with_an_error_line_and_rethrows()
    {
        var h = new Harness(new FakeChatClient(null, [Step.Delta("Hal"), Step.Throw("ThrottlingException", "slow down")]),
            new FunctionSettings("m", Format: ResponseFormat.Text));

        await Assert.ThrowsAsync<ModelException>(() => h.RunAsync(Prompt));

        Assert.Equal(["Hal", "\n[error] Throttling: The model is busy (ThrottlingException); retry after 1 s.\n"], h.Response.TextChunks);
        Assert.Single(h.Model.Calls);
    }

    [Fact]
    public async Task A_bug_after_the_first_token_also_ends_with_an_error_event_and_rethrows()
    {
        var h = new Harness(new FakeChatClient(null, [Step.Delta("x"), Step.Fail(new InvalidOperationException("bug"))]));

        await Assert.ThrowsAsync<InvalidOperationException>(() => h.RunAsync(Prompt));

        Assert.Equal("event: error\ndata: {\"type\":\"InternalError\",\"message\":\"The function failed (InvalidOperationException).\"}\n\n", h.Response.TextChunks[^1]);
    }

    [Theory]
    [InlineData(ResponseFormat.Sse, "event: error\ndata: {\"type\":\"Timeout\",\"message\":\"The function's deadline was reached before the model finished.\"}\n\n")]
    [InlineData(ResponseFormat.Text, "\n[error] Timeout: The function's deadline was reached before the model finished.\n")]
    public async Task Deadline_mid_stream_ends_cleanly_with_a_Timeout_error(ResponseFormat format, string last)
    {
        var time = new ManualTimeProvider();
        var h = new Harness(new FakeChatClient(time, [Step.Delta("Once upon"), Step.Hang()]),
            new FunctionSettings("m", Format: format, DeadlineMarginMs: 1000), time);

        var run = h.RunAsync(Prompt, deadlineIn: TimeSpan.FromSeconds(5));
        await h.Model.Hanging.Task.WaitAsync(TestTimeouts.Signal);
        time.Advance(TimeSpan.FromMilliseconds(3999));
        Assert.False(run.IsCompleted);   // the margin is honoured: not cut off early
        time.Advance(TimeSpan.FromMilliseconds(1));
        await run.WaitAsync(TestTimeouts.Signal);   // returns normally: no trailers for a deadline

        Assert.Equal(200, h.Response.Status);
        Assert.Equal(2, h.Response.Chunks.Count);
        Assert.Equal(last, h.Response.TextChunks[^1]);
    }

    [Fact]
    public async Task Deadline_before_the_first_token_is_504()
    {
        var time = new ManualTimeProvider();
        var h = new Harness(new FakeChatClient(time, [Step.Hang()]), new FunctionSettings("m"), time);

        var run = h.RunAsync(Prompt, deadlineIn: TimeSpan.FromSeconds(3));
        await h.Model.Hanging.Task.WaitAsync(TestTimeouts.Signal);
        time.Advance(TimeSpan.FromSeconds(2));
        await run.WaitAsync(TestTimeouts.Signal);

        Assert.Equal(504, h.Response.Status);
        Assert.Equal("Timeout", (string?)h.Response.Json["error"]!["type"]);
    }

    [Fact]
    public async Task A_deadline_already_inside_the_margin_is_504_without_a_model_call()
    {
        var h = new Harness(FakeChatClient.Answer("never"));

        await h.RunAsync(Prompt, deadlineIn: TimeSpan.FromMilliseconds(999));

        Assert.Equal(504, h.Response.Status);
        Assert.Empty(h.Model.Calls);
    }

    [Fact]
    public async Task Extreme_deadlines_do_not_break_the_handler()
    {
        var h = new Harness(FakeChatClient.Answer("ok"));
        var handler = h.CreateHandler();

        await handler.HandleAsync(new Invocation("r", DateTimeOffset.MinValue, "arn", null, Prompt), h.Response, default);
        Assert.Equal(504, h.Response.Status);

        var later = new FakeResponseStream();
        await handler.HandleAsync(new Invocation("r", DateTimeOffset.MaxValue, "arn", null, Prompt), later, default);
        Assert.Equal(200, later.Status);
    }

    [Fact]
    public async Task The_callers_cancellation_is_not_a_timeout()
    {
        var time = new ManualTimeProvider();
        var h = new Harness(new FakeChatClient(time, [Step.Delta("a"), Step.Hang()]), new FunctionSettings("m"), time);
        using var shutdown = new CancellationTokenSource();

        var run = h.RunAsync(Prompt, cancellationToken: shutdown.Token);
        await h.Model.Hanging.Task.WaitAsync(TestTimeouts.Signal);
        shutdown.Cancel();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run.WaitAsync(TestTimeouts.Signal));
        Assert.DoesNotContain("Timeout", h.Response.Body);
    }

    [Theory]
    [InlineData("ThrottlingException")]
    [InlineData("ServiceUnavailableException")]
    public async Task Throttling_or_unavailability_before_the_first_byte_is_retried(string code)
    {
        var h = new Harness(new FakeChatClient(null, [Step.Throw(code)], [Step.Delta("ok"), Step.Stop()]));

        await h.RunAsync(Prompt);

        Assert.Equal(200, h.Response.Status);
        Assert.Equal(2, h.Model.Calls.Count);
        Assert.Equal([TimeSpan.FromMilliseconds(200)], h.Waits);
    }

    [Fact]
    public async Task At_most_two_retries_with_exponential_backoff_then_the_mapped_error()
    {
        var h = new Harness(new FakeChatClient(null, [Step.Throw("ThrottlingException")]));

        await h.RunAsync(Prompt);

        Assert.Equal(429, h.Response.Status);
        Assert.Equal(3, h.Model.Calls.Count);
        Assert.Equal([TimeSpan.FromMilliseconds(200), TimeSpan.FromMilliseconds(400)], h.Waits);
    }

    [Fact]
    public async Task No_retry_when_it_would_not_fit_before_the_deadline()
    {
        var h = new Harness(new FakeChatClient(null, [Step.Throw("ThrottlingException")], [Step.Delta("ok"), Step.Stop()]),
            new FunctionSettings("m", DeadlineMarginMs: 0));

        await h.RunAsync(Prompt, deadlineIn: TimeSpan.FromMilliseconds(1100));   // 200 ms wait + 1 s attempt > 1.1 s

        Assert.Equal(429, h.Response.Status);
        Assert.Single(h.Model.Calls);
        Assert.Empty(h.Waits);
    }

    [Theory]
    [InlineData("ModelNotReadyException")]
    [InlineData("AccessDeniedException")]
    [InlineData("ValidationException")]
    [InlineData("InternalServerException")]
    public async Task Other_errors_are_not_retried(string code)
    {
        var h = new Harness(new FakeChatClient(null, [Step.Throw(code)], [Step.Delta("ok"), Step.Stop()]));

        await h.RunAsync(Prompt);

        Assert.NotEqual(200, h.Response.Status);
        Assert.Single(h.Model.Calls);
    }
}
