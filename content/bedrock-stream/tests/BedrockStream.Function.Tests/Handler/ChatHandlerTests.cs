using System.Text;
using System.Text.Json.Nodes;
using BedrockStream.Function.Runtime;
using Microsoft.Extensions.AI;

namespace BedrockStream.Function.Tests.Handler;

/// <summary>Successful answers (framing, headers, one write per update), the events of every content type, and rejected requests.</summary>
public class ChatHandlerTests
{
    private static FakeChatClient ScriptedAnswer(ManualTimeProvider time) => new(time,
    [
        Step.Role(), Step.Advance(150), Step.Delta("Hel"), Step.Advance(20), Step.Delta("lo \"wörld\"\n"), Step.Delta("<3 & 😀"),
        Step.Stop("end_turn"), Step.Meta(12, 3), Step.Advance(30),
    ]);

    [Fact]
    public async Task Sse_answer_is_framed_byte_exact_one_event_per_delta_then_done()
    {
        var time = new ManualTimeProvider();
        var h = new Harness(ScriptedAnswer(time), new FunctionSettings("m"), time);

        await h.RunAsync(Events.Post("{\"prompt\":\"hi\"}"));

        Assert.Equal(200, h.Response.Status);
        Assert.Equal(
            [new("Content-Type", "text/event-stream"), new("Cache-Control", "no-cache"), new("X-Accel-Buffering", "no")],
            h.Response.Headers);
        Assert.Equal(
            [
                "data: {\"text\":\"Hel\"}\n\n",
                "data: {\"text\":\"lo \\\"wörld\\\"\\n\"}\n\n",
                "data: {\"text\":\"<3 & \\uD83D\\uDE00\"}\n\n",   // JSON escapes: quotes, controls, astral characters
                "event: done\ndata: {\"stopReason\":\"end_turn\",\"inputTokens\":12,\"outputTokens\":3,\"cacheReadInputTokens\":0,\"cacheWriteInputTokens\":0,\"toolCalls\":0,\"ttftMs\":150,\"durationMs\":200}\n\n",
            ],
            h.Response.TextChunks);
    }

    [Fact]
    public async Task Text_answer_is_the_raw_utf8_deltas_one_write_each_and_nothing_else()
    {
        var time = new ManualTimeProvider();
        var h = new Harness(ScriptedAnswer(time), new FunctionSettings("m", Format: ResponseFormat.Text), time);

        await h.RunAsync(Events.Post("{\"prompt\":\"hi\"}"));

        Assert.Equal(200, h.Response.Status);
        Assert.Equal([new("Content-Type", "text/plain; charset=utf-8")], h.Response.Headers);
        Assert.Equal(3, h.Response.Chunks.Count);
        Assert.Equal(Encoding.UTF8.GetBytes("Hel"), h.Response.Chunks[0]);
        Assert.Equal(Encoding.UTF8.GetBytes("lo \"wörld\"\n"), h.Response.Chunks[1]);
        Assert.Equal(Encoding.UTF8.GetBytes("<3 & 😀"), h.Response.Chunks[2]);
    }

    [Theory]
    [InlineData(ResponseFormat.Sse)]
    [InlineData(ResponseFormat.Text)]
    public async Task Each_delta_is_its_own_write_never_coalesced(ResponseFormat format)
    {
        var deltas = Enumerable.Range(0, 50).Select(i => $"t{i} ").ToArray();
        var h = new Harness(FakeChatClient.Answer(deltas), new FunctionSettings("m", Format: format));

        await h.RunAsync(Events.Post("{\"prompt\":\"count\"}"));

        var chunks = h.Response.TextChunks;
        Assert.Equal(50 + (format == ResponseFormat.Sse ? 1 : 0), chunks.Length);
        for (int i = 0; i < 50; i++)
            Assert.Equal(format == ResponseFormat.Sse ? $"data: {{\"text\":\"t{i} \"}}\n\n" : $"t{i} ", chunks[i]);
    }

    [Fact]
    public async Task Empty_deltas_are_not_written()
    {
        var h = new Harness(new FakeChatClient(null, [Step.Delta(""), Step.Delta("a"), Step.Delta(""), Step.Stop()]),
            new FunctionSettings("m", Format: ResponseFormat.Text));

        await h.RunAsync(Events.Post("{\"prompt\":\"x\"}"));

        Assert.Equal(["a"], h.Response.TextChunks);
    }

    [Theory]
    [InlineData("guardrail_intervened")]
    [InlineData("content_filtered")]
    [InlineData("max_tokens")]
    public async Task Any_stop_reason_ends_with_done_carrying_it(string stopReason)
    {
        var h = new Harness(new FakeChatClient(null, [Step.Delta("Sorry."), Step.Stop(stopReason), Step.Meta(5, 1)]));

        await h.RunAsync(Events.Post("{\"prompt\":\"x\"}"));

        Assert.Equal(200, h.Response.Status);
        Assert.Equal($"event: done\ndata: {{\"stopReason\":\"{stopReason}\",\"inputTokens\":5,\"outputTokens\":1,\"cacheReadInputTokens\":0,\"cacheWriteInputTokens\":0,\"toolCalls\":0,\"ttftMs\":0,\"durationMs\":0}}\n\n",
            h.Response.TextChunks[^1]);
    }

    [Fact]
    public async Task A_stop_without_text_still_starts_the_stream_and_ends_with_done()
    {
        var h = new Harness(new FakeChatClient(null, [Step.Stop("guardrail_intervened")]));

        await h.RunAsync(Events.Post("{\"prompt\":\"x\"}"));

        Assert.Equal(200, h.Response.Status);
        Assert.Equal(["event: done\ndata: {\"stopReason\":\"guardrail_intervened\",\"inputTokens\":null,\"outputTokens\":null,\"cacheReadInputTokens\":null,\"cacheWriteInputTokens\":null,\"toolCalls\":0,\"ttftMs\":0,\"durationMs\":0}\n\n"],
            h.Response.TextChunks);
    }

    [Fact]
    public async Task The_model_gets_the_parsed_request()
    {
        var h = new Harness(FakeChatClient.Answer("ok"), new FunctionSettings("my-model", MaxTokens: 300, SystemPrompt: "Sys"));

        await h.RunAsync(Events.Get("prompt=What+time%3F"));

        var call = Assert.Single(h.Model.Calls);
        Assert.Equal([(ChatRole.System, "Sys"), (ChatRole.User, "What time?")], call.Messages.Select(m => (m.Role, m.Text)));
        Assert.Equal(300, call.Options!.MaxOutputTokens);
        Assert.Null(call.Options.Temperature);
    }

    public static TheoryData<string, byte[], int> BadRequests() => new()
    {
        { "empty body", Events.Post(""), 400 },
        { "no body", Events.Post(null), 400 },
        { "invalid JSON", Events.Post("{\"prompt\":"), 400 },
        { "trailing garbage", Events.Post("{\"prompt\":\"x\"} x"), 400 },
        { "JSON array", Events.Post("[\"x\"]"), 400 },
        { "JSON string", Events.Post("\"x\""), 400 },
        { "prompt is a number", Events.Post("{\"prompt\":5}"), 400 },
        { "prompt is null", Events.Post("{\"prompt\":null}"), 400 },
        { "maxTokens is a string", Events.Post("{\"prompt\":\"x\",\"maxTokens\":\"10\"}"), 400 },
        { "maxTokens is fractional", Events.Post("{\"prompt\":\"x\",\"maxTokens\":1.5}"), 400 },
        { "temperature is a string", Events.Post("{\"prompt\":\"x\",\"temperature\":\"hot\"}"), 400 },
        { "messages is an object", Events.Post("{\"messages\":{\"role\":\"user\"}}"), 400 },
        { "message is null", Events.Post("{\"messages\":[null],\"prompt\":\"x\"}"), 400 },
        { "message content is not a string", Events.Post("{\"messages\":[{\"role\":\"user\",\"content\":[{\"text\":\"x\"}]}]}"), 400 },
        { "message without content", Events.Post("{\"messages\":[{\"role\":\"user\"}]}"), 400 },
        { "unknown role", Events.Post("{\"messages\":[{\"role\":\"system\",\"content\":\"x\"}],\"prompt\":\"y\"}"), 400 },
        { "role in capitals", Events.Post("{\"messages\":[{\"role\":\"User\",\"content\":\"x\"}]}"), 400 },
        { "empty prompt", Events.Post("{\"prompt\":\"\"}"), 400 },
        { "whitespace prompt", Events.Post("{\"prompt\":\" \\n\\t \"}"), 400 },
        { "no prompt, no messages", Events.Post("{\"system\":\"x\"}"), 400 },
        { "empty messages", Events.Post("{\"messages\":[]}"), 400 },
        { "messages end with assistant", Events.Post("{\"messages\":[{\"role\":\"user\",\"content\":\"a\"},{\"role\":\"assistant\",\"content\":\"b\"}]}"), 400 },
        { "maxTokens 0", Events.Post("{\"prompt\":\"x\",\"maxTokens\":0}"), 400 },
        { "maxTokens over MAX_TOKENS", Events.Post("{\"prompt\":\"x\",\"maxTokens\":1025}"), 400 },
        { "maxTokens negative", Events.Post("{\"prompt\":\"x\",\"maxTokens\":-1}"), 400 },
        { "temperature over 1", Events.Post("{\"prompt\":\"x\",\"temperature\":1.01}"), 400 },
        { "temperature negative", Events.Post("{\"prompt\":\"x\",\"temperature\":-0.1}"), 400 },
        { "whitespace text/plain", Events.Post("  \n ", "text/plain"), 400 },
        { "invalid base64", Events.Post("not*base64!", base64: true), 400 },
        { "base64 of invalid UTF-8", Events.Post(Convert.ToBase64String([0x7B, 0xC3, 0x28, 0x7D]), "text/plain", base64: true), 400 },
        { "base64 of a lone continuation byte", Events.Post(Convert.ToBase64String([0x68, 0x80]), "text/plain", base64: true), 400 },
        { "GET without prompt", Events.Get("q=1"), 400 },
        { "GET with empty prompt", Events.Get("prompt="), 400 },
        { "GET with blank prompt", Events.Get("prompt=+%20"), 400 },
        { "not a Function URL event", Encoding.UTF8.GetBytes("{\"prompt\":\"direct invoke\"}"), 400 },
        { "not JSON at all", Encoding.UTF8.GetBytes("hello"), 400 },
        { "body over MAX_REQUEST_BYTES", Events.Post("{\"prompt\":\"" + new string('a', 65536) + "\"}"), 413 },
        { "base64 body over MAX_REQUEST_BYTES", Events.Post(Convert.ToBase64String(new byte[65537]), "text/plain", base64: true), 413 },
        { "GET prompt over MAX_REQUEST_BYTES", Events.Get("prompt=" + new string('a', 65537)), 413 },
        { "unsupported content type", Events.Post("a=b", "application/x-www-form-urlencoded"), 415 },
    };

    [Theory]
    [MemberData(nameof(BadRequests))]
    public async Task Bad_input_is_a_json_error_before_any_model_call(string situation, byte[] payload, int status)
    {
        var h = new Harness(FakeChatClient.Answer("never"));

        await h.RunAsync(payload);

        Assert.True(status == h.Response.Status, $"{situation}: status {h.Response.Status}");
        Assert.Empty(h.Model.Calls);
        Assert.Equal("application/json", h.Response.Header("Content-Type"));
        var body = Assert.Single(h.Response.Chunks);   // one write: the whole error document
        var error = JsonNode.Parse(body)!["error"]!;
        Assert.Equal(status switch { 413 => "PayloadTooLarge", 415 => "UnsupportedMediaType", _ => "InvalidRequest" }, (string?)error["type"]);
        Assert.False(string.IsNullOrWhiteSpace((string?)error["message"]));
        Assert.Equal(2, JsonNode.Parse(body)!.AsObject()["error"]!.AsObject().Count);
    }

    [Theory]
    [InlineData("OPTIONS")]
    [InlineData("HEAD")]
    [InlineData("PUT")]
    [InlineData("DELETE")]
    [InlineData("PATCH")]
    public async Task Other_methods_are_405_with_Allow(string method)
    {
        var h = new Harness(FakeChatClient.Answer("never"));

        await h.RunAsync(Events.Method(method));

        Assert.Equal(405, h.Response.Status);
        Assert.Equal("GET, POST", h.Response.Header("Allow"));
        Assert.Equal("MethodNotAllowed", (string?)h.Response.Json["error"]!["type"]);
        Assert.Empty(h.Model.Calls);
    }

    [Fact]
    public async Task Accepted_request_shapes_reach_the_model()
    {
        byte[][] payloads =
        [
            Events.Post("{\"prompt\":\"json\"}"),
            Events.Post("plain", "text/plain"),
            Events.Post(Convert.ToBase64String(Encoding.UTF8.GetBytes("{\"prompt\":\"b64\"}")), base64: true),
            Events.Get("prompt=get"),
            Events.Method("post"),
        ];
        foreach (var payload in payloads)
        {
            var h = new Harness(FakeChatClient.Answer("ok"));
            await h.RunAsync(payload);
            Assert.Equal(200, h.Response.Status);
            Assert.Single(h.Model.Calls);
        }
    }
}
