using System.Text.Json;
using BedrockStream.Function.Runtime;
using Microsoft.Extensions.AI;

namespace BedrockStream.Function.Tests.Handler;

/// <summary>How each kind of Microsoft.Extensions.AI content becomes an event on the wire, byte for byte.</summary>
public class EventFramingTests
{
    private static Task<Harness> RunAsync(ResponseFormat format, params Step[] steps) => RunAsync(new FunctionSettings("m", Format: format), steps);

    private static async Task<Harness> RunAsync(FunctionSettings settings, params Step[] steps)
    {
        var h = new Harness(new FakeChatClient(null, steps), settings);
        h.Tools.Add(AIFunctionFactory.Create(() => "12:00", "current_time", "The current time."));
        await h.RunAsync(Events.Post("{\"prompt\":\"x\"}"));
        return h;
    }

    [Fact]
    public async Task Reasoning_streams_as_its_own_event_with_its_own_key_before_the_answer()
    {
        var h = await RunAsync(ResponseFormat.Sse,
            Step.Role(), Step.Reasoning("Let me "), Step.Reasoning("think."), Step.Signature("c2lnbmF0dXJl"), Step.Delta("42"), Step.Stop(), Step.Meta(3, 9));

        Assert.Equal(
            [
                "event: reasoning\ndata: {\"reasoning\":\"Let me \"}\n\n",
                "event: reasoning\ndata: {\"reasoning\":\"think.\"}\n\n",
                // the signature is for the model, not the caller: nothing is written for it
                "data: {\"text\":\"42\"}\n\n",
            ],
            h.Response.TextChunks[..^1]);
        Assert.StartsWith("event: done\n", h.Response.TextChunks[^1]);
    }

    [Fact]
    public async Task Redacted_reasoning_says_so_without_its_bytes()
    {
        var h = await RunAsync(ResponseFormat.Sse, Step.Redacted(), Step.Delta("ok"), Step.Stop());

        Assert.Equal("event: reasoning\ndata: {\"redacted\":true}\n\n", h.Response.TextChunks[0]);
    }

    [Fact]
    public async Task Tool_call_and_result_are_events_with_the_tool_name_and_done_counts_the_calls()
    {
        var arguments = new Dictionary<string, object?> { ["timeZone"] = JsonDocument.Parse("\"Europe/Paris\"").RootElement, ["verbose"] = true };
        var h = await RunAsync(ResponseFormat.Sse,
            Step.ToolCall("tooluse_1", "current_time", arguments), Step.Stop("tool_use"), Step.Meta(10, 5),
            Step.ToolResult("tooluse_1", JsonDocument.Parse("{\"time\":\"12:00\"}").RootElement),
            Step.ToolCall("tooluse_2", "current_time"), Step.ToolResult("tooluse_2", "Error: Function failed.", new TimeoutException("The tool did not finish within 10 s.")),
            Step.Delta("Noon."), Step.Stop("end_turn"), Step.Meta(30, 4));

        Assert.Equal(
            [
                "event: tool_call\ndata: {\"id\":\"tooluse_1\",\"name\":\"current_time\",\"arguments\":{\"timeZone\":\"Europe/Paris\",\"verbose\":true}}\n\n",
                "event: tool_result\ndata: {\"id\":\"tooluse_1\",\"name\":\"current_time\",\"result\":{\"time\":\"12:00\"}}\n\n",
                "event: tool_call\ndata: {\"id\":\"tooluse_2\",\"name\":\"current_time\",\"arguments\":{}}\n\n",
                "event: tool_result\ndata: {\"id\":\"tooluse_2\",\"name\":\"current_time\",\"error\":\"The tool did not finish within 10 s.\"}\n\n",
                "data: {\"text\":\"Noon.\"}\n\n",
                "event: done\ndata: {\"stopReason\":\"end_turn\",\"inputTokens\":40,\"outputTokens\":9,\"cacheReadInputTokens\":0,\"cacheWriteInputTokens\":0,\"toolCalls\":2,\"ttftMs\":0,\"durationMs\":0}\n\n",
            ],
            h.Response.TextChunks);
        Assert.Equal(2, (int?)h.LogJson["toolCalls"]);
    }

    [Fact]
    public async Task Cache_counts_are_summed_into_done_and_the_log_line()
    {
        var h = await RunAsync(ResponseFormat.Sse, Step.Delta("a"), Step.Stop(), Step.Meta(100, 5, cacheRead: 1800, cacheWrite: 0), Step.Meta(20, 1, cacheRead: 0, cacheWrite: 64));

        var done = JsonDocument.Parse(h.Response.TextChunks[^1]["event: done\ndata: ".Length..]).RootElement;
        Assert.Equal(120, done.GetProperty("inputTokens").GetInt32());
        Assert.Equal(1800, done.GetProperty("cacheReadInputTokens").GetInt32());
        Assert.Equal(64, done.GetProperty("cacheWriteInputTokens").GetInt32());
        Assert.Equal(1800, (int?)h.LogJson["cacheReadInputTokens"]);
        Assert.Equal(64, (int?)h.LogJson["cacheWriteInputTokens"]);
        Assert.Equal(1800, (int?)h.LogJson["CacheReadInputTokens"]);   // the EMF metric
    }

    [Fact]
    public async Task Text_format_writes_only_the_answer_even_around_reasoning_and_tools()
    {
        var h = await RunAsync(ResponseFormat.Text,
            Step.Reasoning("hmm"), Step.ToolCall("t1", "current_time"), Step.ToolResult("t1", "12:00"), Step.Delta("It is "), Step.Delta("noon."), Step.Stop());

        Assert.Equal(200, h.Response.Status);
        Assert.Equal(["It is ", "noon."], h.Response.TextChunks);
    }

    [Theory]
    [InlineData(ResponseFormat.Sse)]
    [InlineData(ResponseFormat.Text)]
    public async Task Reasoning_starts_the_response_so_the_caller_sees_the_model_has_begun(ResponseFormat format)
    {
        var h = new Harness(new FakeChatClient(null, [Step.Role(), Step.Reasoning("thinking"), Step.Throw("ThrottlingException")]), new FunctionSettings("m", Format: format));

        // Mid-stream, an error is rethrown so that the runtime adds Lambda's error trailers.
        await Assert.ThrowsAsync<ModelException>(() => h.RunAsync(Events.Post("{\"prompt\":\"x\"}")));

        Assert.Equal(200, h.Response.Status);
        Assert.Single(h.Model.Calls);   // not retried: the caller has seen the model start
        Assert.Equal("ThrottlingException", (string?)h.LogJson["errorType"]);
    }

    [Fact]
    public async Task An_update_with_only_the_role_does_not_start_the_response()
    {
        // Bedrock's messageStart becomes such an update; a throttling error right after it is still a clean 429.
        var h = new Harness(new FakeChatClient(null, [Step.Role(), Step.Throw("ThrottlingException", retryAfter: TimeSpan.FromSeconds(30))]));

        await h.RunAsync(Events.Post("{\"prompt\":\"x\"}"));

        Assert.Equal(429, h.Response.Status);
        Assert.Equal("30", h.Response.Header("Retry-After"));
    }

    [Fact]
    public async Task Reasoning_is_logged_only_with_LOG_CONTENT()
    {
        Step[] steps = [Step.Reasoning("secret plan"), Step.Delta("answer"), Step.Stop()];

        var quiet = await RunAsync(new FunctionSettings("m"), steps);
        var verbose = await RunAsync(new FunctionSettings("m", LogContent: true), steps);

        Assert.DoesNotContain("secret plan", quiet.Log.ToString());
        Assert.Null(quiet.LogJson["reasoning"]);
        Assert.Equal("secret plan", (string?)verbose.LogJson["reasoning"]);
        Assert.Equal("answer", (string?)verbose.LogJson["answer"]);
    }

    [Fact]
    public async Task Tool_arguments_and_results_never_reach_the_log()
    {
        var arguments = new Dictionary<string, object?> { ["city"] = "Secretville" };
        Step[] steps = [Step.ToolCall("t1", "weather", arguments), Step.ToolResult("t1", "sunny in Secretville"), Step.Delta("ok"), Step.Stop()];

        var verbose = await RunAsync(new FunctionSettings("m", LogContent: true), steps);

        Assert.DoesNotContain("Secretville", verbose.Log.ToString());
        Assert.Equal(1, (int?)verbose.LogJson["toolCalls"]);
    }
}
