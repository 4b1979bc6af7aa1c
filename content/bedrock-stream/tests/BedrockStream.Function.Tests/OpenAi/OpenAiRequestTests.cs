using System.Text.Json;
using System.Text.Json.Nodes;
using BedrockStream.Function.Tests.Handler;
using Microsoft.Extensions.AI;
using static BedrockStream.Function.Tests.OpenAi.OpenAiStreamTests;

namespace BedrockStream.Function.Tests.OpenAi;

/// <summary>
/// <c>RESPONSE_FORMAT=openai</c>, the request (https://platform.openai.com/docs/api-reference/chat/create): each field
/// reaches the model as Microsoft.Extensions.AI options, wrong types are 400s in OpenAI's error shape, and the paths
/// (<c>/v1/chat/completions</c>, <c>/v1/models</c>) behind a Function URL or a REST API.
/// </summary>
public class OpenAiRequestTests
{
    private static async Task<Harness> RunAsync(string body, FunctionSettings? settings = null)
    {
        var h = new Harness(FakeChatClient.Answer("ok"), settings ?? Settings());
        await h.RunAsync(Completions(body));
        return h;
    }

    [Fact]
    public async Task Each_field_reaches_the_model_within_the_functions_limits()
    {
        var h = await RunAsync("""
            {"model":"gpt-4o","messages":[{"role":"user","content":"hi"}],"max_completion_tokens":300,"max_tokens":50,
             "temperature":0.5,"top_p":0.9,"stop":["END","STOP"],"reasoning_effort":"low","unknown_field":{"x":[1]},
             "tools":[{"type":"function","function":{"name":"get_weather","description":"Weather","parameters":{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}}}],
             "tool_choice":{"type":"function","function":{"name":"get_weather"}}}
            """, Settings(maxTokens: 200, effort: ReasoningEffort.Medium));

        var options = Assert.Single(h.Model.Calls).Options!;
        Assert.Equal(200, options.MaxOutputTokens);   // max_completion_tokens wins over max_tokens, capped by MAX_TOKENS
        Assert.Equal(0.5f, options.Temperature);
        Assert.Equal(0.9f, options.TopP);
        Assert.Equal(["END", "STOP"], options.StopSequences);
        Assert.Equal(ReasoningEffort.Low, options.Reasoning?.Effort);
        var tool = Assert.IsAssignableFrom<AIFunctionDeclaration>(Assert.Single(options.Tools!));
        Assert.Equal("get_weather", tool.Name);
        Assert.Equal("Weather", tool.Description);
        Assert.Equal("""{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}""", tool.JsonSchema.GetRawText());
        Assert.Equal("get_weather", Assert.IsType<RequiredChatToolMode>(options.ToolMode).RequiredFunctionName);
    }

    [Theory]
    [InlineData("high", ReasoningEffort.Low, ReasoningEffort.Low)]        // never raised
    [InlineData("none", ReasoningEffort.High, ReasoningEffort.None)]      // switched off
    [InlineData("minimal", ReasoningEffort.High, ReasoningEffort.Low)]
    [InlineData("medium", ReasoningEffort.None, ReasoningEffort.None)]    // no paid reasoning for a public caller
    public async Task Reasoning_effort_may_lower_REASONING_EFFORT_never_raise_it(string asked, ReasoningEffort configured, ReasoningEffort sent)
    {
        var h = await RunAsync($$"""{"messages":[{"role":"user","content":"hi"}],"reasoning_effort":"{{asked}}"}""", Settings(effort: configured));

        Assert.Equal(sent, Assert.Single(h.Model.Calls).Options!.Reasoning?.Effort ?? ReasoningEffort.None);
    }

    [Fact]
    public async Task Max_tokens_alone_is_read_and_the_default_is_MAX_TOKENS()
    {
        Assert.Equal(50, Assert.Single((await RunAsync("""{"messages":[{"role":"user","content":"hi"}],"max_tokens":50}""")).Model.Calls).Options!.MaxOutputTokens);
        Assert.Equal(1024, Assert.Single((await RunAsync("""{"messages":[{"role":"user","content":"hi"}]}""")).Model.Calls).Options!.MaxOutputTokens);
    }

    [Fact]
    public async Task Messages_become_the_conversation_system_and_developer_first_tool_rounds_as_calls_and_results()
    {
        var h = await RunAsync("""
            {"messages":[
              {"role":"system","content":"Be brief."},
              {"role":"developer","content":[{"type":"text","text":"Use metric units."}]},
              {"role":"user","content":[{"type":"text","text":"Weather in "},{"type":"text","text":"Paris?"}]},
              {"role":"assistant","content":null,"tool_calls":[{"id":"call_1","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Paris\"}"}}]},
              {"role":"tool","tool_call_id":"call_1","content":"18 C"},
              {"role":"user","content":"And tomorrow?"}],
             "tools":[{"type":"function","function":{"name":"get_weather"}}]}
            """);

        var messages = Assert.Single(h.Model.Calls).Messages;
        Assert.Equal([ChatRole.System, ChatRole.System, ChatRole.User, ChatRole.Assistant, ChatRole.Tool], messages.Select(m => m.Role));
        Assert.Equal("Be brief.", messages[0].Text);
        Assert.Equal("Use metric units.", messages[1].Text);
        Assert.Equal(["Weather in ", "Paris?"], messages[2].Contents.OfType<TextContent>().Select(t => t.Text));
        var call = Assert.IsType<FunctionCallContent>(Assert.Single(messages[3].Contents));
        Assert.Equal(("call_1", "get_weather", "Paris"), (call.CallId, call.Name, ((JsonElement)call.Arguments!["city"]!).GetString()));
        // The tool's result and the next user message are one turn: Bedrock wants user and assistant turns to alternate.
        var result = Assert.IsType<FunctionResultContent>(messages[4].Contents[0]);
        Assert.Equal(("call_1", "18 C"), (result.CallId, result.Result as string));
        Assert.Equal("And tomorrow?", Assert.IsType<TextContent>(messages[4].Contents[1]).Text);
    }

    [Fact]
    public async Task Tool_choice_none_leaves_the_tools_out_and_no_tools_means_none_offered()
    {
        var none = await RunAsync("""{"messages":[{"role":"user","content":"hi"}],"tools":[{"type":"function","function":{"name":"f"}}],"tool_choice":"none"}""");
        Assert.Null(Assert.Single(none.Model.Calls).Options!.Tools);

        var plain = await RunAsync("""{"messages":[{"role":"user","content":"hi"}]}""");
        Assert.Null(Assert.Single(plain.Model.Calls).Options!.Tools);

        var required = await RunAsync("""{"messages":[{"role":"user","content":"hi"}],"tools":[{"type":"function","function":{"name":"f"}}],"tool_choice":"required"}""");
        Assert.Equal(ChatToolMode.RequireAny, Assert.Single(required.Model.Calls).Options!.ToolMode);
    }

    [Theory]
    [InlineData("""{"messages":"hi"}""", "messages")]
    [InlineData("""{"messages":[]}""", "messages")]
    [InlineData("""{}""", "messages")]
    [InlineData("""{"messages":[{"role":"user","content":"hi"}],"stream":"yes"}""", "stream")]
    [InlineData("""{"messages":[{"role":"user","content":"hi"}],"temperature":"hot"}""", "temperature")]
    [InlineData("""{"messages":[{"role":"user","content":"hi"}],"temperature":3}""", "temperature")]
    [InlineData("""{"messages":[{"role":"user","content":"hi"}],"top_p":1.5}""", "top_p")]
    [InlineData("""{"messages":[{"role":"user","content":"hi"}],"max_tokens":"many"}""", "max_tokens")]
    [InlineData("""{"messages":[{"role":"user","content":"hi"}],"max_completion_tokens":0}""", "max_completion_tokens")]
    [InlineData("""{"messages":[{"role":"user","content":"hi"}],"stop":5}""", "stop")]
    [InlineData("""{"messages":[{"role":"user","content":"hi"}],"stream_options":{"include_usage":"yes"}}""", "stream_options.include_usage")]
    [InlineData("""{"messages":[{"role":"user","content":"hi"}],"reasoning_effort":"max"}""", "reasoning_effort")]
    [InlineData("""{"messages":[{"role":"user","content":"hi"}],"n":2}""", "n")]
    [InlineData("""{"messages":[{"role":"user","content":"hi"}],"tools":[{"type":"retrieval"}]}""", "tools[0].type")]
    [InlineData("""{"messages":[{"role":"user","content":"hi"}],"tool_choice":"any"}""", "tool_choice")]
    [InlineData("""{"messages":[{"role":"user","content":"hi"}],"tool_choice":"required"}""", "tool_choice")]
    [InlineData("""{"messages":[{"role":"wizard","content":"hi"}]}""", "messages[0].role")]
    [InlineData("""{"messages":[{"role":"user","content":5}]}""", "messages[0].content")]
    [InlineData("""{"messages":[{"role":"user","content":"hi"},{"role":"assistant","content":"hello"}]}""", "messages")]
    [InlineData("""{"messages":[{"role":"tool","content":"18 C"}]}""", "messages[0].tool_call_id")]
    [InlineData("""{"messages":[{"role":"assistant","tool_calls":[{"id":"c","type":"function","function":{"name":"f","arguments":"[1]"}}]},{"role":"user","content":"x"}]}""", "messages[0].tool_calls[0].function.arguments")]
    public async Task A_wrong_type_or_value_is_a_400_in_OpenAIs_error_shape_naming_the_field(string body, string param)
    {
        var h = await RunAsync(body);

        Assert.Empty(h.Model.Calls);
        Assert.Equal(400, h.Response.Status);
        Assert.Equal([new("Content-Type", "application/json")], h.Response.Headers);
        var error = h.Response.Json["error"]!.AsObject();
        Assert.Equal(["message", "type", "param", "code"], error.Select(p => p.Key));
        Assert.Equal("invalid_request_error", (string?)error["type"]);
        Assert.Equal(param, (string?)error["param"]);
        Assert.Equal("invalid_request", (string?)error["code"]);
        Assert.False(string.IsNullOrWhiteSpace((string?)error["message"]));
    }

    [Fact]
    public async Task An_image_part_is_a_clear_400()
    {
        var h = await RunAsync("""{"messages":[{"role":"user","content":[{"type":"text","text":"What is it?"},{"type":"image_url","image_url":{"url":"https://example.com/a.png"}}]}]}""");

        Assert.Equal(400, h.Response.Status);
        Assert.Equal("messages[0].content[1].type", (string?)h.Response.Json["error"]!["param"]);
        Assert.Contains("image_url content is not supported", (string?)h.Response.Json["error"]!["message"]);
    }

    [Fact]
    public async Task Not_json_is_a_400_and_a_body_too_large_a_413_both_in_OpenAIs_shape()
    {
        var h = await RunAsync("not json");
        Assert.Equal(400, h.Response.Status);
        Assert.Equal("invalid_request_error", (string?)h.Response.Json["error"]!["type"]);

        var big = new Harness(FakeChatClient.Answer("ok"), Settings() with { MaxRequestBytes = 10 });
        await big.RunAsync(Completions("""{"messages":[{"role":"user","content":"hi"}]}"""));
        Assert.Equal(413, big.Response.Status);
        Assert.Equal("payload_too_large", (string?)big.Response.Json["error"]!["code"]);
    }

    [Theory]
    [InlineData("/v1/models")]
    [InlineData("/models")]
    public async Task Get_models_lists_the_configured_model_without_calling_it(string path)
    {
        var h = new Harness(FakeChatClient.Answer("unused"), Settings());

        await h.RunAsync(Events.Build("GET", null, null, false, null, path: path));

        Assert.Empty(h.Model.Calls);
        Assert.Equal(200, h.Response.Status);
        Assert.Equal("""{"object":"list","data":[{"id":"m","object":"model","created":0,"owned_by":"amazon-bedrock"}]}""", h.Response.Body);
    }

    [Theory]
    [InlineData("GET", "/v1/models/m", 200, null)]
    [InlineData("GET", "/v1/models/gpt-4o", 404, "model_not_found")]
    [InlineData("GET", "/v1/chat/completions", 405, "method_not_allowed")]
    [InlineData("POST", "/v1/models", 405, "method_not_allowed")]
    [InlineData("POST", "/", 404, "unknown_url")]
    [InlineData("POST", "/v1/completions", 404, "unknown_url")]
    public async Task Other_paths_and_methods_are_answered_without_the_model(string method, string path, int status, string? code)
    {
        var h = new Harness(FakeChatClient.Answer("unused"), Settings());

        await h.RunAsync(Events.Build(method, """{"messages":[{"role":"user","content":"hi"}]}""", "application/json", false, null, path: path));

        Assert.Empty(h.Model.Calls);
        Assert.Equal(status, h.Response.Status);
        if (code is null)
            Assert.Equal("m", (string?)h.Response.Json["id"]);
        else
            Assert.Equal(code, (string?)h.Response.Json["error"]!["code"]);
    }

    [Fact]
    public async Task An_unknown_url_names_the_path_asked_and_the_ones_that_exist()
    {
        var h = new Harness(FakeChatClient.Answer("unused"), Settings());

        await h.RunAsync(Events.Build("POST", """{"prompt":"hi"}""", "application/json", false, null, path: "/"));

        Assert.Equal("Unknown request URL: POST /. Use POST /v1/chat/completions or GET /v1/models.", (string?)h.Response.Json["error"]!["message"]);
    }

    [Fact]
    public async Task Chat_completions_without_v1_and_with_a_trailing_slash_are_the_same_endpoint()
    {
        var h = new Harness(FakeChatClient.Answer("ok"), Settings());
        await h.RunAsync(Completions("""{"messages":[{"role":"user","content":"hi"}]}""", path: "/chat/completions/"));
        Assert.Equal("ok", (string?)h.Response.Json["choices"]![0]!["message"]!["content"]);
    }

    [Fact]
    public async Task A_rest_api_event_on_its_proxy_resource_is_read_as_well()
    {
        var h = new Harness(FakeChatClient.Answer("via REST"), Settings());

        await h.RunAsync(RestApiEventTests.RestEvent("POST", """{"stream":true,"messages":[{"role":"user","content":"hi"}]}""",
            headers: new JsonObject { ["Content-Type"] = "application/json", ["x-api-key"] = "k" }, path: "/v1/chat/completions"));

        Assert.Equal(200, h.Response.Status);
        Assert.Contains("data: [DONE]\n\n", h.Response.TextChunks);
        Assert.Contains(h.Response.TextChunks, c => c.Contains("\"content\":\"via REST\"", StringComparison.Ordinal));
    }

    [Fact]
    public async Task With_CORS_ALLOW_ORIGIN_the_preflight_is_a_204_and_every_answer_carries_the_origin()
    {
        var preflight = new Harness(FakeChatClient.Answer("unused"), Settings(cors: "https://chat.example.org"));
        await preflight.RunAsync(Events.Build("OPTIONS", null, null, false, null, path: "/v1/chat/completions"));
        Assert.Equal(204, preflight.Response.Status);
        Assert.Contains(new("Access-Control-Allow-Origin", "https://chat.example.org"), preflight.Response.Headers);
        Assert.Empty(preflight.Model.Calls);

        foreach (var body in new[] { """{"stream":true,"messages":[{"role":"user","content":"hi"}]}""", """{"messages":[{"role":"user","content":"hi"}]}""", """{"messages":5}""" })
        {
            var h = new Harness(FakeChatClient.Answer("ok"), Settings(cors: "https://chat.example.org"));
            await h.RunAsync(Completions(body));
            Assert.Contains(new("Access-Control-Allow-Origin", "https://chat.example.org"), h.Response.Headers);
        }
    }
}
