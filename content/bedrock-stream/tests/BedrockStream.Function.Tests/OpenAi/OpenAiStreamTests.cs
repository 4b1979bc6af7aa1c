using System.Text.Json.Nodes;
using BedrockStream.Function.Tests.Handler;
using Microsoft.Extensions.AI;

namespace BedrockStream.Function.Tests.OpenAi;

/// <summary>
/// <c>RESPONSE_FORMAT=openai</c>, the answer: <c>chat.completion.chunk</c>s byte for byte as OpenAI streams them
/// (https://platform.openai.com/docs/api-reference/chat-streaming), one write per delta, and one <c>chat.completion</c>
/// (https://platform.openai.com/docs/api-reference/chat/object) assembled from the same streamed call.
/// </summary>
public class OpenAiStreamTests
{
    internal const string Id = "chatcmpl-8476a536-e9f4-11e8-9739-2dfe598c3fcd";
    internal const long Created = 1767225600;   // the manual clock's start, 2026-01-01
    private static readonly string Head = $"data: {{\"id\":\"{Id}\",\"object\":\"chat.completion.chunk\",\"created\":{Created},\"model\":\"m\",\"choices\":[{{\"index\":0,\"delta\":";

    internal static FunctionSettings Settings(int maxTokens = 1024, ReasoningEffort effort = ReasoningEffort.None, string? cors = null) =>
        new("m", MaxTokens: maxTokens, Format: ResponseFormat.OpenAi, ReasoningEffort: effort, CorsAllowOrigin: cors);

    internal static byte[] Completions(string body, string path = "/v1/chat/completions") =>
        Events.Build("POST", body, "application/json", false, null, path: path);

    private static string Chunk(string delta, string? finish = null, bool usageNull = false) =>
        Head + delta + ",\"logprobs\":null,\"finish_reason\":" + (finish is null ? "null" : $"\"{finish}\"") + "}]" + (usageNull ? ",\"usage\":null" : "") + "}\n\n";

    private const string Done = "data: [DONE]\n\n";

    [Fact]
    public async Task Stream_is_role_then_one_chunk_per_delta_then_finish_reason_then_done()
    {
        var h = new Harness(FakeChatClient.Answer("Hel", "lo \"wörld\"", "😀"), Settings());

        await h.RunAsync(Completions("""{"model":"gpt-4o","stream":true,"messages":[{"role":"user","content":"hi"}]}"""));

        Assert.Equal(200, h.Response.Status);
        Assert.Equal([new("Content-Type", "text/event-stream"), new("Cache-Control", "no-cache"), new("X-Accel-Buffering", "no")], h.Response.Headers);
        Assert.Equal(
            [
                Chunk("{\"role\":\"assistant\",\"content\":\"\"}"),
                Chunk("{\"content\":\"Hel\"}"),
                Chunk("{\"content\":\"lo \\\"wörld\\\"\"}"),
                Chunk("{\"content\":\"\\uD83D\\uDE00\"}"),
                Chunk("{}", "stop"),
                Done,
            ],
            h.Response.TextChunks);
    }

    [Fact]
    public async Task Include_usage_adds_usage_null_to_every_chunk_and_a_last_usage_chunk_with_no_choices()
    {
        var h = new Harness(FakeChatClient.Answer("a", "b"), Settings());

        await h.RunAsync(Completions("""{"stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"hi"}]}"""));

        Assert.Equal(
            [
                Chunk("{\"role\":\"assistant\",\"content\":\"\"}", usageNull: true),
                Chunk("{\"content\":\"a\"}", usageNull: true),
                Chunk("{\"content\":\"b\"}", usageNull: true),
                Chunk("{}", "stop", usageNull: true),
                $"data: {{\"id\":\"{Id}\",\"object\":\"chat.completion.chunk\",\"created\":{Created},\"model\":\"m\",\"choices\":[]," +
                    "\"usage\":{\"prompt_tokens\":12,\"completion_tokens\":2,\"total_tokens\":14,\"prompt_tokens_details\":{\"cached_tokens\":0}}}\n\n",
                Done,
            ],
            h.Response.TextChunks);
    }

    [Fact]
    public async Task Reasoning_is_reasoning_content_and_tool_calls_stream_as_id_and_name_then_arguments_with_finish_reason_tool_calls()
    {
        var h = new Harness(new FakeChatClient(null,
        [
            Step.Role(), Step.Reasoning("Think."), Step.Delta("Looking."),
            Step.ToolCall("tooluse_1", "get_weather", new() { ["city"] = "Paris" }),
            Step.ToolCall("tooluse_2", "get_time", new()),
            Step.Stop("tool_use"), Step.Meta(5, 7),
        ]), Settings());

        await h.RunAsync(Completions("""
            {"stream":true,"messages":[{"role":"user","content":"weather?"}],
             "tools":[{"type":"function","function":{"name":"get_weather","parameters":{"type":"object","properties":{"city":{"type":"string"}}}}},
                      {"type":"function","function":{"name":"get_time"}}]}
            """));

        Assert.Equal(
            [
                Chunk("{\"role\":\"assistant\",\"content\":\"\"}"),
                Chunk("{\"reasoning_content\":\"Think.\"}"),
                Chunk("{\"content\":\"Looking.\"}"),
                Chunk("{\"tool_calls\":[{\"index\":0,\"id\":\"tooluse_1\",\"type\":\"function\",\"function\":{\"name\":\"get_weather\",\"arguments\":\"\"}}]}"),
                Chunk("{\"tool_calls\":[{\"index\":0,\"function\":{\"arguments\":\"{\\\"city\\\":\\\"Paris\\\"}\"}}]}"),
                Chunk("{\"tool_calls\":[{\"index\":1,\"id\":\"tooluse_2\",\"type\":\"function\",\"function\":{\"name\":\"get_time\",\"arguments\":\"\"}}]}"),
                Chunk("{\"tool_calls\":[{\"index\":1,\"function\":{\"arguments\":\"{}\"}}]}"),
                Chunk("{}", "tool_calls"),
                Done,
            ],
            h.Response.TextChunks);
        Assert.Equal(2, (int)h.LogJson["toolCalls"]!);
    }

    [Theory]
    [InlineData("end_turn", "stop")]
    [InlineData("stop_sequence", "stop")]
    [InlineData("max_tokens", "length")]
    [InlineData("content_filtered", "content_filter")]
    [InlineData("guardrail_intervened", "content_filter")]
    public async Task Bedrock_stop_reasons_become_OpenAIs_finish_reasons(string stopReason, string finishReason)
    {
        var h = new Harness(new FakeChatClient(null, [Step.Role(), Step.Delta("x"), Step.Stop(stopReason), Step.Meta(1, 1)]), Settings());

        await h.RunAsync(Completions("""{"stream":true,"messages":[{"role":"user","content":"hi"}]}"""));

        Assert.Equal(Chunk("{}", finishReason), h.Response.TextChunks[^2]);
        Assert.Equal(stopReason, (string?)h.LogJson["stopReason"]);
    }

    [Fact]
    public async Task Without_stream_one_chat_completion_is_assembled_from_the_streamed_call_and_sent_in_one_write()
    {
        var h = new Harness(new FakeChatClient(null,
            [Step.Role(), Step.Reasoning("Hm."), Step.Delta("Hel"), Step.Delta("lo"), Step.Stop("end_turn"), Step.Meta(12, 3, cacheRead: 4)]), Settings());

        await h.RunAsync(Completions("""{"model":"gpt-4o","messages":[{"role":"user","content":"hi"}]}"""));

        Assert.Equal(200, h.Response.Status);
        Assert.Equal([new("Content-Type", "application/json")], h.Response.Headers);
        Assert.Equal(
            $"{{\"id\":\"{Id}\",\"object\":\"chat.completion\",\"created\":{Created},\"model\":\"m\",\"choices\":[{{\"index\":0," +
            "\"message\":{\"role\":\"assistant\",\"content\":\"Hello\",\"reasoning_content\":\"Hm.\",\"refusal\":null},\"logprobs\":null,\"finish_reason\":\"stop\"}]," +
            "\"usage\":{\"prompt_tokens\":16,\"completion_tokens\":3,\"total_tokens\":19,\"prompt_tokens_details\":{\"cached_tokens\":4}}}",
            Assert.Single(h.Response.TextChunks));
        Assert.Single(h.Model.Calls);   // the same streamed call: ConverseStream, never Converse
    }

    [Fact]
    public async Task Without_stream_tool_calls_are_in_the_message_with_null_content()
    {
        var h = new Harness(new FakeChatClient(null,
            [Step.Role(), Step.ToolCall("tooluse_1", "get_weather", new() { ["city"] = "Paris" }), Step.Stop("tool_use"), Step.Meta(5, 7)]), Settings());

        await h.RunAsync(Completions("""{"messages":[{"role":"user","content":"weather?"}],"tools":[{"type":"function","function":{"name":"get_weather"}}]}"""));

        var choice = h.Response.Json["choices"]![0]!;
        Assert.Equal("tool_calls", (string?)choice["finish_reason"]);
        Assert.Null(choice["message"]!["content"]);
        var call = Assert.Single(choice["message"]!["tool_calls"]!.AsArray())!;
        Assert.Equal(("tooluse_1", "function", "get_weather", """{"city":"Paris"}"""),
            ((string?)call["id"], (string?)call["type"], (string?)call["function"]!["name"], (string?)call["function"]!["arguments"]));
    }

    [Fact]
    public async Task Without_stream_a_throttled_call_that_had_produced_text_is_retried_from_scratch()
    {
        var h = new Harness(new FakeChatClient(null,
            [Step.Role(), Step.Delta("lost "), Step.Throw("ThrottlingException")],
            [Step.Role(), Step.Delta("kept"), Step.Stop(), Step.Meta(1, 1)]), Settings());

        await h.RunAsync(Completions("""{"messages":[{"role":"user","content":"hi"}]}"""));

        Assert.Equal(2, h.Model.Calls.Count);
        Assert.Equal("kept", (string?)h.Response.Json["choices"]![0]!["message"]!["content"]);
    }

    [Fact]
    public async Task An_error_before_the_first_content_is_an_http_error_in_OpenAIs_shape()
    {
        var h = new Harness(new FakeChatClient(null, [Step.Throw("ValidationException", "The model rejected it")]), Settings());

        await h.RunAsync(Completions("""{"stream":true,"messages":[{"role":"user","content":"hi"}]}"""));

        Assert.Equal(400, h.Response.Status);
        Assert.Equal(
            """{"error":{"message":"The model rejected the request: The model rejected it","type":"invalid_request_error","param":null,"code":"validation"}}""",
            h.Response.Body);
    }

    [Fact]
    public async Task Throttling_that_outlasts_the_retries_is_a_429_rate_limit_error_with_retry_after()
    {
        var h = new Harness(new FakeChatClient(null, [Step.Throw("ThrottlingException", "slow down", TimeSpan.FromSeconds(3))]), Settings());

        await h.RunAsync(Completions("""{"stream":true,"messages":[{"role":"user","content":"hi"}]}"""), deadlineIn: TimeSpan.FromSeconds(2));

        Assert.Equal(429, h.Response.Status);
        Assert.Contains(h.Response.Headers, kv => kv.Key == "Retry-After");
        var error = h.Response.Json["error"]!;
        Assert.Equal("rate_limit_error", (string?)error["type"]);
        Assert.Equal("rate_limit_exceeded", (string?)error["code"]);
    }

    [Fact]
    public async Task An_error_after_the_first_content_is_a_last_data_error_event_without_done_and_the_runtime_gets_the_exception()
    {
        var h = new Harness(new FakeChatClient(null, [Step.Role(), Step.Delta("part"), Step.Throw("ModelStreamErrorException", "broke")]), Settings());

        await Assert.ThrowsAsync<BedrockStream.Function.Runtime.ModelException>(() => h.RunAsync(Completions("""{"stream":true,"messages":[{"role":"user","content":"hi"}]}""")));

        Assert.Equal(200, h.Response.Status);
        var chunks = h.Response.TextChunks;
        Assert.Equal(Chunk("{\"content\":\"part\"}"), chunks[1]);
        Assert.Equal(
            """data: {"error":{"message":"The model call failed (ModelStreamErrorException).","type":"server_error","param":null,"code":"model_stream_error"}}""" + "\n\n",
            chunks[^1]);
        Assert.DoesNotContain(Done, chunks);
        Assert.Equal("ModelStreamErrorException", (string?)h.LogJson["errorType"]);
    }

    [Fact]
    public async Task No_prompt_answer_or_tool_arguments_are_logged()
    {
        var h = new Harness(new FakeChatClient(null,
            [Step.Role(), Step.Delta("secret answer"), Step.ToolCall("t1", "f", new() { ["q"] = "secret argument" }), Step.Stop("tool_use"), Step.Meta(1, 1)]), Settings());

        await h.RunAsync(Completions("""{"stream":true,"messages":[{"role":"user","content":"secret prompt"}],"tools":[{"type":"function","function":{"name":"f"}}]}"""));

        var log = h.Log.ToString();
        Assert.DoesNotContain("secret", log);
        Assert.Equal(200, (int)h.LogJson["status"]!);
    }

    [Fact]
    public async Task A_heartbeat_is_an_sse_comment_when_streaming_and_json_whitespace_before_a_whole_completion()
    {
        var gate = new Gate();
        var time = new ManualTimeProvider();
        var h = new Harness(new FakeChatClient(time, [Step.Role(), Step.Wait(gate), Step.Delta("late"), Step.Stop(), Step.Meta(1, 1)]),
            Settings() with { StartStreamAfterSeconds = 20 }, time);

        var run = h.RunAsync(Completions("""{"messages":[{"role":"user","content":"hi"}]}"""));
        await gate.Reached;
        time.Advance(TimeSpan.FromSeconds(20));
        await h.Response.WaitUntilAsync(r => r.Chunks.Count == 1);
        gate.Open();
        await run;

        Assert.Equal(200, h.Response.Status);
        Assert.Equal("\n", h.Response.TextChunks[0]);
        Assert.Equal("late", (string?)JsonNode.Parse(h.Response.Body)!["choices"]![0]!["message"]!["content"]);
    }
}
