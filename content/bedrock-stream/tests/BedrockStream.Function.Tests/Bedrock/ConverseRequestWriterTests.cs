using System.Buffers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using BedrockStream.Function.Runtime;
using Microsoft.Extensions.AI;

namespace BedrockStream.Function.Tests.Bedrock;

/// <summary>Microsoft.Extensions.AI messages and options → the ConverseStream request body.</summary>
public class ConverseRequestWriterTests
{
    private static string Write(IEnumerable<ChatMessage> messages, ChatOptions? options = null, ConverseRequestShape? shape = null)
    {
        var buffer = new ArrayBufferWriter<byte>();
        ConverseRequestWriter.Write(buffer, messages, options, shape ?? ConverseRequestShape.None);
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    private static JsonElement Json(IEnumerable<ChatMessage> messages, ChatOptions? options = null, ConverseRequestShape? shape = null) =>
        JsonDocument.Parse(Write(messages, options, shape)).RootElement;

    [Fact]
    public void Minimal_request_matches_the_signing_vector_body_byte_for_byte()
    {
        Assert.Equal("""{"messages":[{"role":"user","content":[{"text":"hi"}]}],"inferenceConfig":{"maxTokens":64}}""", Write(Models.Hi, Models.Options()));
    }

    [Fact]
    public void Temperature_and_top_p_are_sent_only_when_set()
    {
        Assert.DoesNotContain("temperature", Write(Models.Hi, Models.Options()), StringComparison.Ordinal);
        Assert.DoesNotContain("topP", Write(Models.Hi, Models.Options()), StringComparison.Ordinal);

        var config = Json(Models.Hi, new ChatOptions { MaxOutputTokens = 64, Temperature = 0.25f, TopP = 0.5f, StopSequences = ["END"] }).GetProperty("inferenceConfig");
        Assert.Equal(0.25, config.GetProperty("temperature").GetDouble(), 5);
        Assert.Equal(0.5, config.GetProperty("topP").GetDouble(), 5);
        Assert.Equal(["END"], config.GetProperty("stopSequences").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(64, config.GetProperty("maxTokens").GetInt32());
    }

    [Fact]
    public void Without_options_there_is_no_inference_config()
    {
        Assert.Equal("""{"messages":[{"role":"user","content":[{"text":"hi"}]}]}""", Write(Models.Hi));
    }

    [Fact]
    public void System_messages_and_instructions_become_the_system_prompt_and_empty_ones_are_left_out()
    {
        Assert.DoesNotContain("\"system\"", Write([new(ChatRole.System, ""), .. Models.Hi], Models.Options(instructions: "")), StringComparison.Ordinal);

        var system = Json([new(ChatRole.System, "Be brief."), .. Models.Hi], Models.Options(instructions: "Be kind.")).GetProperty("system");
        Assert.Equal(["Be kind.", "Be brief."], system.EnumerateArray().Select(b => b.GetProperty("text").GetString()));
    }

    [Fact]
    public void Conversation_turns_keep_their_order_roles_and_text_including_quotes_and_non_ascii()
    {
        ChatMessage[] turns = [new(ChatRole.User, "say \"héllo\"\n"), new(ChatRole.Assistant, "世界 🙂"), new(ChatRole.User, "again")];

        var messages = Json(turns).GetProperty("messages");
        Assert.Equal(["user", "assistant", "user"], messages.EnumerateArray().Select(m => m.GetProperty("role").GetString()));
        Assert.Equal(["say \"héllo\"\n", "世界 🙂", "again"], messages.EnumerateArray().Select(m => m.GetProperty("content")[0].GetProperty("text").GetString()));
    }

    [Fact]
    public void Blank_text_is_a_zero_width_space_and_assistant_text_is_trimmed_at_the_end()
    {
        // Bedrock rejects empty text blocks; AWS.Bedrock.MEAI sends U+200B instead, and trims assistant turns.
        var messages = Json([new(ChatRole.User, " "), new(ChatRole.Assistant, "done.  \n"), new(ChatRole.Assistant, "   "), new(ChatRole.User, "ok")]).GetProperty("messages");

        Assert.Equal(3, messages.GetArrayLength());   // the all-blank assistant turn has no block left
        Assert.Equal("\u200b", messages[0].GetProperty("content")[0].GetProperty("text").GetString());
        Assert.Equal("done.", messages[1].GetProperty("content")[0].GetProperty("text").GetString());
    }

    [Fact]
    public void A_tool_loop_round_trips_reasoning_tool_use_and_tool_result_unchanged()
    {
        // What FunctionInvokingChatClient sends back after one tool call: the user's turn, the assistant's turn
        // (reasoning with its signature, text, the tool call) and the tool's result.
        ChatMessage[] history =
        [
            new(ChatRole.User, "What time is it in Paris?"),
            new(ChatRole.Assistant,
            [
                new TextReasoningContent("The user wants the time.") { ProtectedData = "c2lnbmF0dXJlLWJ5dGVz" },
                new TextReasoningContent(null) { AdditionalProperties = new() { [BedrockKeys.RedactedContent] = new byte[] { 9, 8, 7 } } },
                new TextContent("Let me check."),
                new FunctionCallContent("tooluse_1", "current_time", new Dictionary<string, object?> { ["timeZone"] = "Europe/Paris", ["verbose"] = true, ["n"] = 2 }),
            ]),
            new(ChatRole.Tool, [new FunctionResultContent("tooluse_1", JsonDocument.Parse("""{"time":"2026-12-02T10:00:00+01:00"}""").RootElement)]),
        ];

        var messages = Json(history).GetProperty("messages");

        Assert.Equal(
            """[{"role":"user","content":[{"text":"What time is it in Paris?"}]},"""
            + """{"role":"assistant","content":[{"reasoningContent":{"reasoningText":{"text":"The user wants the time.","signature":"c2lnbmF0dXJlLWJ5dGVz"}}},"""
            + """{"reasoningContent":{"redactedContent":"CQgH"}},{"text":"Let me check."},"""
            + """{"toolUse":{"toolUseId":"tooluse_1","name":"current_time","input":{"timeZone":"Europe/Paris","verbose":true,"n":2}}}]},"""
            + """{"role":"user","content":[{"toolResult":{"toolUseId":"tooluse_1","content":[{"json":{"result":{"time":"2026-12-02T10:00:00+01:00"}}}]}}]}]""",
            messages.GetRawText());
    }

    [Fact]
    public void A_failed_tool_is_an_error_result_and_a_text_result_a_text_block()
    {
        ChatMessage[] history =
        [
            new(ChatRole.User, "x"),
            new(ChatRole.Assistant, [new FunctionCallContent("a", "f"), new FunctionCallContent("b", "g")]),
            new(ChatRole.Tool, [new FunctionResultContent("a", "Error: Function failed.") { Exception = new TimeoutException() }, new FunctionResultContent("b", "plain")]),
        ];

        var results = Json(history).GetProperty("messages")[2].GetProperty("content");

        Assert.Equal("""{"toolResult":{"toolUseId":"a","content":[{"text":"Error: Function failed."}],"status":"error"}}""", results[0].GetRawText());
        Assert.Equal("""{"toolResult":{"toolUseId":"b","content":[{"text":"plain"}]}}""", results[1].GetRawText());
        Assert.Equal("""{"toolUse":{"toolUseId":"a","name":"f","input":{}}}""", Json(history).GetProperty("messages")[1].GetProperty("content")[0].GetRawText());
    }

    [Fact]
    public void Tools_become_tool_specs_with_their_json_schema_and_required_tool_mode_a_tool_choice()
    {
        var tool = AIFunctionFactory.Create((string timeZone, int days) => "", "current_time", "The current time.");
        var options = new ChatOptions { Tools = [tool], ToolMode = ChatToolMode.RequireSpecific("current_time") };

        var config = Json(Models.Hi, options).GetProperty("toolConfig");

        var spec = config.GetProperty("tools")[0].GetProperty("toolSpec");
        Assert.Equal("current_time", spec.GetProperty("name").GetString());
        Assert.Equal("The current time.", spec.GetProperty("description").GetString());
        var schema = spec.GetProperty("inputSchema").GetProperty("json");
        Assert.Equal("object", schema.GetProperty("type").GetString());
        Assert.Equal(["timeZone", "days"], schema.GetProperty("properties").EnumerateObject().Select(p => p.Name));
        Assert.Equal(["timeZone", "days"], schema.GetProperty("required").EnumerateArray().Select(p => p.GetString()));
        Assert.Equal("""{"tool":{"name":"current_time"}}""", config.GetProperty("toolChoice").GetRawText());

        Assert.Equal("""{"any":{}}""", Json(Models.Hi, new ChatOptions { Tools = [tool], ToolMode = ChatToolMode.RequireAny }).GetProperty("toolConfig").GetProperty("toolChoice").GetRawText());
        Assert.False(Json(Models.Hi, new ChatOptions { Tools = [tool] }).GetProperty("toolConfig").TryGetProperty("toolChoice", out _));
    }

    [Fact]
    public void Provider_specific_fields_pass_through_additional_properties_under_their_converse_names()
    {
        var options = new ChatOptions
        {
            AdditionalProperties = new()
            {
                ["additionalModelRequestFields"] = JsonNode.Parse("""{"top_k":50}"""),
                ["performanceConfig"] = JsonDocument.Parse("""{"latency":"optimized"}""").RootElement,
                ["requestMetadata"] = new Dictionary<string, object?> { ["team"] = "search" },
                ["notAConverseField"] = "ignored",
            },
        };

        var json = Json(Models.Hi, options);

        Assert.Equal("""{"top_k":50}""", json.GetProperty("additionalModelRequestFields").GetRawText());
        Assert.Equal("""{"latency":"optimized"}""", json.GetProperty("performanceConfig").GetRawText());
        Assert.Equal("""{"team":"search"}""", json.GetProperty("requestMetadata").GetRawText());
        Assert.False(json.TryGetProperty("notAConverseField", out _));
    }

    [Fact]
    public void The_clients_own_shape_adds_fields_budget_and_cache_points_and_the_callers_fields_win()
    {
        var tool = AIFunctionFactory.Create(() => "", "f", "d");
        var options = new ChatOptions
        {
            MaxOutputTokens = 100,
            Temperature = 0.5f,
            Tools = [tool],
            AdditionalProperties = new() { ["additionalModelRequestFields"] = JsonNode.Parse("""{"top_k":5,"mine":true}""") },
        };
        var shape = new ConverseRequestShape
        {
            MaxTokens = 2148,
            OmitSampling = true,
            AdditionalModelRequestFields = JsonNode.Parse("""{"thinking":{"type":"enabled","budget_tokens":2048},"top_k":1}""")!.AsObject(),
            CachePointAfterSystem = true,
            CachePointAfterTools = true,
        };

        var json = Json([new(ChatRole.System, "sys"), .. Models.Hi], options, shape);

        Assert.Equal("""{"maxTokens":2148}""", json.GetProperty("inferenceConfig").GetRawText());
        Assert.Equal("""{"thinking":{"type":"enabled","budget_tokens":2048},"top_k":5,"mine":true}""", json.GetProperty("additionalModelRequestFields").GetRawText());
        Assert.Equal("""[{"text":"sys"},{"cachePoint":{"type":"default"}}]""", json.GetProperty("system").GetRawText());
        Assert.Equal("""{"cachePoint":{"type":"default"}}""", json.GetProperty("toolConfig").GetProperty("tools")[1].GetRawText());
    }
}
