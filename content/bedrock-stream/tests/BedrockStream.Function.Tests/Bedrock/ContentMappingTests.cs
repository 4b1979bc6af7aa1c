using System.Text.Json;
using BedrockStream.Function.Runtime;
using Microsoft.Extensions.AI;
using F = BedrockStream.Function.Tests.Bedrock.EventStreamFrames;

namespace BedrockStream.Function.Tests.Bedrock;

/// <summary>
/// ConverseStream content → Microsoft.Extensions.AI content through <see cref="BedrockChatClient"/>: reasoning with its
/// signature, encrypted reasoning, tool use assembled from partial JSON, prompt-cache usage. The frames are real
/// event-stream frames (AWSSDK.Core's encoder), with literal JSON payloads as the ConverseStream API documents them.
/// </summary>
public class ContentMappingTests
{
    private static readonly byte[] MessageStart = F.Event("messageStart", """{"p":"abc","role":"assistant"}""");

    private static byte[] Reasoning(string text, int index = 0) =>
        F.Event("contentBlockDelta", $$$"""{"contentBlockIndex":{{{index}}},"delta":{"reasoningContent":{"text":{{{JsonSerializer.Serialize(text)}}}}},"p":"ab"}""");

    private static byte[] Signature(string signature, int index = 0) =>
        F.Event("contentBlockDelta", $$$"""{"contentBlockIndex":{{{index}}},"delta":{"reasoningContent":{"signature":"{{{signature}}}"}},"p":"ab"}""");

    private static byte[] BlockStop(int index) => F.Event("contentBlockStop", $$"""{"contentBlockIndex":{{index}},"p":"x"}""");

    private static byte[] ToolStart(int index, string id, string name) =>
        F.Event("contentBlockStart", $$$"""{"contentBlockIndex":{{{index}}},"start":{"toolUse":{"toolUseId":"{{{id}}}","name":"{{{name}}}"}},"p":"xyz"}""");

    private static byte[] ToolInput(int index, string fragment) =>
        F.Event("contentBlockDelta", $$$"""{"contentBlockIndex":{{{index}}},"delta":{"toolUse":{"input":{{{JsonSerializer.Serialize(fragment)}}}}},"p":"x"}""");

    private static Task<Collected> Run(params byte[][] frames) => Models.RunAsync(new PiecewiseHandler(Bytes.RandomPieces(Bytes.Concat(frames), seed: 7)));

    [Fact]
    public async Task Reasoning_deltas_become_TextReasoningContent_and_the_signature_ProtectedData()
    {
        var answer = await Run(MessageStart, Reasoning("Let me "), Reasoning("think about ünïcode 🙂."), Signature("RXF1aXZhbGVudA=="), BlockStop(0),
            F.TextDelta("42", contentBlockIndex: 1), BlockStop(1), F.MessageStop(), F.Metadata(10, 20, 5));

        var reasoning = answer.Updates.SelectMany(u => u.Contents).OfType<TextReasoningContent>().ToList();
        Assert.Equal(["Let me ", "think about ünïcode 🙂.", ""], reasoning.Select(r => r.Text));
        Assert.Equal([null, null, "RXF1aXZhbGVudA=="], reasoning.Select(r => r.ProtectedData));
        Assert.Equal(["42"], answer.Deltas);

        // Coalesced the way Microsoft.Extensions.AI (and so its tool loop) does: one reasoning block keeps its signature.
        var message = Assert.Single(answer.Updates.ToChatResponse().Messages);
        var block = Assert.IsType<TextReasoningContent>(message.Contents[0]);
        Assert.Equal(("Let me think about ünïcode 🙂.", "RXF1aXZhbGVudA=="), (block.Text, block.ProtectedData));
    }

    [Fact]
    public async Task Redacted_reasoning_keeps_its_bytes_where_AWS_Bedrock_MEAI_puts_them()
    {
        var answer = await Run(MessageStart,
            F.Event("contentBlockDelta", """{"contentBlockIndex":0,"delta":{"reasoningContent":{"redactedContent":"AQID/w=="}},"p":"ab"}"""),
            BlockStop(0), F.TextDelta("ok", 1), F.MessageStop());

        var redacted = Assert.Single(answer.Updates.SelectMany(u => u.Contents).OfType<TextReasoningContent>());
        Assert.Equal(new byte[] { 1, 2, 3, 255 }, redacted.AdditionalProperties![BedrockKeys.RedactedContent]);
    }

    [Fact]
    public async Task Tool_use_is_assembled_from_many_partial_json_deltas_into_one_function_call()
    {
        string input = """{"timeZone":"Europe/Zürich","when":{"day":"tomorrow","hours":[9,17]},"note":"日本 🙂"}""";
        var fragments = Enumerable.Range(0, (input.Length + 4) / 5).Select(i => input.Substring(i * 5, Math.Min(5, input.Length - i * 5)))
            // never split a surrogate pair between two fragments: each fragment is a JSON string of its own
            .Aggregate(new List<string>(), (list, piece) => { if (list.Count > 0 && char.IsHighSurrogate(list[^1][^1])) list[^1] += piece; else list.Add(piece); return list; });
        Assert.True(fragments.Count > 10);

        var answer = await Run([MessageStart, F.TextDelta("Checking.", 0), BlockStop(0), ToolStart(1, "tooluse_abc", "current_time"),
            .. fragments.Select(f => ToolInput(1, f)), BlockStop(1), F.MessageStop("tool_use"), F.Metadata(40, 30, 9)]);

        var updates = answer.Updates.Where(u => u.Contents.OfType<FunctionCallContent>().Any()).ToList();
        var call = Assert.Single(updates.SelectMany(u => u.Contents).OfType<FunctionCallContent>());
        Assert.Equal(("tooluse_abc", "current_time"), (call.CallId, call.Name));
        Assert.Null(call.Exception);
        Assert.Equal("Europe/Zürich", ((JsonElement)call.Arguments!["timeZone"]!).GetString());
        Assert.Equal("""{"day":"tomorrow","hours":[9,17]}""", ((JsonElement)call.Arguments["when"]!).GetRawText());
        Assert.Equal("日本 🙂", ((JsonElement)call.Arguments["note"]!).GetString());
        Assert.Equal("tool_use", answer.Stop);
        Assert.Equal(ChatFinishReason.ToolCalls, answer.Updates[^1].FinishReason);
    }

    [Fact]
    public async Task Two_tool_calls_in_one_turn_are_two_function_calls()
    {
        var answer = await Run(MessageStart, ToolStart(0, "t1", "a"), ToolInput(0, "{\"x\":"), ToolInput(0, "1}"), BlockStop(0),
            ToolStart(1, "t2", "b"), ToolInput(1, "{}"), BlockStop(1), F.MessageStop("tool_use"));

        var calls = answer.Updates.SelectMany(u => u.Contents).OfType<FunctionCallContent>().ToList();
        Assert.Equal([("t1", "a"), ("t2", "b")], calls.Select(c => (c.CallId, c.Name)));
        Assert.Equal(1, ((JsonElement)calls[0].Arguments!["x"]!).GetInt32());
        Assert.Empty(calls[1].Arguments!);
    }

    [Fact]
    public async Task A_tool_call_without_input_has_no_arguments_and_broken_input_is_reported_without_quoting_it()
    {
        var answer = await Run(MessageStart, ToolStart(0, "t1", "a"), BlockStop(0), ToolStart(1, "t2", "b"), ToolInput(1, "{\"secret\":\"hunter2\""), BlockStop(1), F.MessageStop("tool_use"));

        var calls = answer.Updates.SelectMany(u => u.Contents).OfType<FunctionCallContent>().ToList();
        Assert.Null(calls[0].Arguments);
        Assert.Null(calls[0].Exception);
        Assert.Null(calls[1].Arguments);
        var error = Assert.IsType<InvalidOperationException>(calls[1].Exception);
        Assert.DoesNotContain("hunter2", error.ToString());
    }

    [Fact]
    public async Task Prompt_cache_reads_and_writes_are_in_the_usage()
    {
        var answer = await Run(MessageStart, F.TextDelta("x"), F.MessageStop(),
            F.Event("metadata", """{"metrics":{"latencyMs":12},"usage":{"inputTokens":5,"outputTokens":7,"totalTokens":2060,"cacheReadInputTokens":1800,"cacheWriteInputTokens":248,"cacheDetails":[]},"p":"q"}"""));

        var usage = answer.Usage!;
        Assert.Equal((5L, 7L, 2060L), (usage.InputTokenCount, usage.OutputTokenCount, usage.TotalTokenCount));
        Assert.Equal(1800, usage.CachedInputTokenCount);
        Assert.Equal(248, usage.AdditionalCounts![BedrockKeys.CacheWriteInputTokens]);
    }

    [Fact]
    public async Task Usage_without_cache_counts_has_none()
    {
        var answer = await Run(MessageStart, F.TextDelta("x"), F.MessageStop(), F.Metadata(5, 7, 1));

        Assert.Null(answer.Usage!.CachedInputTokenCount);
        Assert.Null(answer.Usage.AdditionalCounts);
    }

    [Theory]
    [InlineData("end_turn", "stop")]
    [InlineData("stop_sequence", "stop")]
    [InlineData("max_tokens", "length")]
    [InlineData("tool_use", "tool_calls")]
    [InlineData("guardrail_intervened", "content_filter")]
    [InlineData("content_filtered", "content_filter")]
    [InlineData("model_context_window_exceeded", "model_context_window_exceeded")]
    public async Task Stop_reasons_map_to_finish_reasons_and_the_raw_reason_stays_readable(string stopReason, string finishReason)
    {
        var answer = await Run(MessageStart, F.TextDelta("x"), F.MessageStop(stopReason));

        Assert.Equal(finishReason, answer.Updates[^1].FinishReason?.Value);
        Assert.Equal(stopReason, answer.Stop);
    }
}
