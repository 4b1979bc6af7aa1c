using System.ClientModel;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using BedrockStream.Templates.Tests.Infrastructure;
using Microsoft.Extensions.AI;
using OpenAI.Chat;
using MeaiChatMessage = Microsoft.Extensions.AI.ChatMessage;
using MeaiChatRole = Microsoft.Extensions.AI.ChatRole;
using ChatFinishReason = OpenAI.Chat.ChatFinishReason;

namespace BedrockStream.Templates.Tests;

/// <summary>
/// A <c>--format openai</c> project's local host, called by clients no one here wrote: OpenAI's official .NET library
/// (the <c>OpenAI</c> package) and Microsoft.Extensions.AI's <see cref="IChatClient"/> over it
/// (<c>Microsoft.Extensions.AI.OpenAI</c>), streaming and not, with a client-side tool round trip and a mid-stream error,
/// through the Function URL and through the REST API with its key in <c>x-api-key</c>.
/// </summary>
[Collection(BuildCollection.Name)]
public class OpenAiClientTests(OpenAiHosts hosts) : IClassFixture<OpenAiHosts>
{
    private const string Model = "us.amazon.nova-2-lite-v1:0";

    private ChatClient Chat(LocalHostProcess? host = null) =>
        OpenAiProject.Client(host ?? hosts.Url).GetChatClient("gpt-4o");   // any model name: the function's own answers

    private static async Task<(string Text, ChatFinishReason? Finish, List<StreamingChatCompletionUpdate> Updates)> StreamAsync(
        ChatClient chat, IEnumerable<OpenAI.Chat.ChatMessage> messages, ChatCompletionOptions? options = null)
    {
        var text = new StringBuilder();
        var updates = new List<StreamingChatCompletionUpdate>();
        ChatFinishReason? finish = null;
        await foreach (var update in chat.CompleteChatStreamingAsync(messages, options))
        {
            updates.Add(update);
            foreach (var part in update.ContentUpdate)
                text.Append(part.Text);
            finish ??= update.FinishReason;
        }
        return (text.ToString(), finish, updates);
    }

    [Fact]
    public async Task The_OpenAI_dotnet_library_streams_an_answer_chunk_by_chunk_with_usage()
    {
        var (text, finish, updates) = await StreamAsync(Chat(), [new UserChatMessage("#echo Streamed from Bedrock, token by token.")]);

        Assert.Equal("Streamed from Bedrock, token by token.", text);
        Assert.Equal(ChatFinishReason.Stop, finish);
        Assert.True(updates.Count(u => u.ContentUpdate.Count > 0) > 3, "the answer came in one piece: " + updates.Count + " updates");
        Assert.All(updates, u => Assert.Equal(Model, u.Model));
        Assert.Single(updates.Select(u => u.CompletionId).Distinct());
        // The library asks for the usage chunk (stream_options.include_usage) and reads it.
        var usage = Assert.Single(updates, u => u.Usage is not null).Usage;
        Assert.True(usage.InputTokenCount > 0 && usage.OutputTokenCount > 0, $"usage {usage.InputTokenCount}/{usage.OutputTokenCount}");
    }

    [Fact]
    public async Task The_OpenAI_dotnet_library_gets_a_whole_completion_without_streaming()
    {
        ChatCompletion completion = await Chat().CompleteChatAsync(
            [new SystemChatMessage("Answer briefly."), new UserChatMessage("#echo One answer, sent whole.")],
            new ChatCompletionOptions { MaxOutputTokenCount = 100, Temperature = 0.2f });

        Assert.Equal("One answer, sent whole.", Assert.Single(completion.Content).Text);
        Assert.Equal(ChatFinishReason.Stop, completion.FinishReason);
        Assert.Equal(Model, completion.Model);
        Assert.True(completion.Usage.TotalTokenCount > 0);
    }

    [Fact]
    public async Task The_answer_is_cut_at_max_completion_tokens_with_finish_reason_length()
    {
        ChatCompletion completion = await Chat().CompleteChatAsync([new UserChatMessage("#tokens:40 a long answer")], new ChatCompletionOptions { MaxOutputTokenCount = 5 });

        Assert.Equal(ChatFinishReason.Length, completion.FinishReason);
        Assert.Equal(5, completion.Usage.OutputTokenCount);
    }

    [Fact]
    public async Task A_client_side_tool_round_trip_with_the_OpenAI_dotnet_library()
    {
        var chat = Chat();
        var weather = ChatTool.CreateFunctionTool("get_weather", "The weather in a city",
            BinaryData.FromString("""{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}"""));
        var options = new ChatCompletionOptions { Tools = { weather } };
        List<OpenAI.Chat.ChatMessage> messages = [new UserChatMessage("""#tool:get_weather{"city":"Paris"} What is the weather in Paris?""")];

        // Streamed: the call comes back to this client in pieces (id and name, then the arguments).
        var (_, finish, updates) = await StreamAsync(chat, messages, options);
        Assert.Equal(ChatFinishReason.ToolCalls, finish);
        var pieces = updates.SelectMany(u => u.ToolCallUpdates).ToList();
        var id = Assert.Single(pieces, p => p.ToolCallId is not null).ToolCallId;
        Assert.Equal("get_weather", Assert.Single(pieces, p => p.FunctionName is not null).FunctionName);
        var arguments = string.Concat(pieces.Select(p => p.FunctionArgumentsUpdate?.ToString()));
        Assert.Equal("Paris", JsonDocument.Parse(arguments).RootElement.GetProperty("city").GetString());

        // The client runs the tool and sends its result; the model answers from it.
        messages.Add(new AssistantChatMessage([ChatToolCall.CreateFunctionToolCall(id, "get_weather", BinaryData.FromString(arguments))]));
        messages.Add(new ToolChatMessage(id, "sunny and 18 degrees"));
        ChatCompletion answer = await chat.CompleteChatAsync(messages, options);

        Assert.Equal(ChatFinishReason.Stop, answer.FinishReason);
        Assert.Equal("The tools returned: sunny and 18 degrees.", Assert.Single(answer.Content).Text);
    }

    [Fact]
    public async Task A_mid_stream_error_ends_the_stream_without_a_finish_reason_and_the_raw_stream_has_the_error_object()
    {
        const string prompt = "#fault:stream-throttling@5 #tokens:30 tell me a story";

        // OpenAI's .NET library does not raise on a data: {"error":...} event: the stream ends, unfinished.
        var (text, finish, _) = await StreamAsync(Chat(), [new UserChatMessage(prompt)]);
        Assert.Null(finish);
        Assert.False(string.IsNullOrEmpty(text), "nothing streamed before the fault");

        // The same request on the wire: the error in OpenAI's shape is the last event, and there is no [DONE].
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(60) };
        using var response = await http.PostAsync(new Uri(hosts.Url.FunctionUrl, "v1/chat/completions"),
            JsonContent.Create(new { model = "gpt-4o", stream = true, messages = new[] { new { role = "user", content = prompt } } }));
        var raw = await response.Content.ReadAsStringAsync();
        Assert.Equal(200, (int)response.StatusCode);
        var events = raw.Split("\n\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.StartsWith("data: {\"error\":", events[^1]);
        var error = JsonDocument.Parse(events[^1]["data: ".Length..]).RootElement.GetProperty("error");
        Assert.Equal("rate_limit_error", error.GetProperty("type").GetString());
        Assert.DoesNotContain("data: [DONE]", raw);
    }

    [Fact]
    public async Task An_error_before_the_stream_is_raised_by_the_OpenAI_dotnet_library_with_its_status()
    {
        var error = await Assert.ThrowsAsync<ClientResultException>(() => StreamAsync(Chat(), [new UserChatMessage("#fault:throttling hello")]));

        Assert.Equal(429, error.Status);
        Assert.Contains("rate_limit", error.Message);
    }

    [Fact]
    public async Task Models_lists_the_functions_model()
    {
        var models = await OpenAiProject.Client(hosts.Url).GetOpenAIModelClient().GetModelsAsync();

        Assert.Equal(Model, Assert.Single(models.Value).Id);
    }

    [Fact]
    public async Task Microsoft_Extensions_AI_IChatClient_streams_and_answers_whole()
    {
        using IChatClient client = Chat().AsIChatClient();

        var streamed = new StringBuilder();
        var updates = 0;
        await foreach (var update in client.GetStreamingResponseAsync([new MeaiChatMessage(MeaiChatRole.User, "#echo Through IChatClient, streamed.")]))
        {
            streamed.Append(update.Text);
            updates++;
        }
        Assert.Equal("Through IChatClient, streamed.", streamed.ToString());
        Assert.True(updates > 3, $"{updates} updates");

        var whole = await client.GetResponseAsync([new MeaiChatMessage(MeaiChatRole.User, "#echo Through IChatClient, whole.")]);
        Assert.Equal("Through IChatClient, whole.", whole.Text);
        Assert.Equal(Microsoft.Extensions.AI.ChatFinishReason.Stop, whole.FinishReason);
    }

    [Fact]
    public async Task Microsoft_Extensions_AI_runs_a_client_side_tool_and_the_model_answers_from_its_result()
    {
        var calledWith = new List<string>();
        var weather = AIFunctionFactory.Create((string city) => { calledWith.Add(city); return $"rainy in {city}"; }, "get_weather", "The weather in a city");
        using IChatClient client = new ChatClientBuilder(Chat().AsIChatClient()).UseFunctionInvocation().Build();

        var text = new StringBuilder();
        await foreach (var update in client.GetStreamingResponseAsync(
            [new MeaiChatMessage(MeaiChatRole.User, """#tool:get_weather{"city":"Lisbon"} Weather in Lisbon?""")], new ChatOptions { Tools = [weather] }))
            text.Append(update.Text);

        Assert.Equal(["Lisbon"], calledWith);
        // Microsoft.Extensions.AI sends the function's result as JSON: a string in quotes.
        Assert.Equal("Let me check.The tools returned: \"rainy in Lisbon\".", text.ToString());
    }

    [Fact]
    public async Task Through_the_REST_API_the_key_goes_in_x_api_key_as_a_default_header()
    {
        var withKey = OpenAiProject.Client(hosts.RestApi, ("x-api-key", OpenAiProject.ApiKey)).GetChatClient("gpt-4o");
        var (text, finish, _) = await StreamAsync(withKey, [new UserChatMessage("#echo Behind API Gateway.")]);
        Assert.Equal("Behind API Gateway.", text);
        Assert.Equal(ChatFinishReason.Stop, finish);

        var models = await OpenAiProject.Client(hosts.RestApi, ("x-api-key", OpenAiProject.ApiKey)).GetOpenAIModelClient().GetModelsAsync();
        Assert.Equal(Model, Assert.Single(models.Value).Id);

        // The REST API reads the key only from x-api-key: OpenAI's own Authorization: Bearer header is not enough.
        var error = await Assert.ThrowsAsync<ClientResultException>(() => OpenAiProject.Client(hosts.RestApi).GetChatClient("gpt-4o")
            .CompleteChatAsync([new UserChatMessage("hello")]));
        Assert.Equal(403, error.Status);
    }
}

/// <summary>The <c>openai</c> npm package (pinned by <c>OpenAiNode/package-lock.json</c>) under node, against the same local host.</summary>
[Collection(BuildCollection.Name)]
public class OpenAiNodeClientTests(OpenAiHosts hosts, Xunit.Abstractions.ITestOutputHelper output) : IClassFixture<OpenAiHosts>
{
    private static string Scripts => Path.Combine(RepoPaths.Root, "tests", "BedrockStream.Templates.Tests", "OpenAiNode");

    [Theory]
    [InlineData("url")]
    [InlineData("rest-api")]
    public async Task The_openai_npm_package_streams_answers_whole_tool_round_trip_and_raises_errors(string front)
    {
        var node = NodeRuntimeClient.FindOnPath("node");
        var npm = NodeRuntimeClient.FindOnPath("npm");
        if (node is null || npm is null)
        {
            // No dynamic skip in xunit v2: say so in the test's output rather than pass in silence.
            output.WriteLine("SKIPPED: node and npm are not on PATH, so the openai npm package cannot run here.");
            return;
        }
        var packages = await NodeRuntimeClient.InstallLockedAsync(node, npm, Scripts, Path.Combine(Path.GetTempPath(), "bedrock-stream-tests", "openai-node"));
        var script = Path.Combine(packages, "client.mjs");
        File.Copy(Path.Combine(Scripts, "client.mjs"), script, overwrite: true);   // beside its node_modules
        var host = front == "url" ? hosts.Url : hosts.RestApi;
        string[] arguments = front == "url" ? [script, OpenAiProject.BaseUrl(host).ToString()] : [script, OpenAiProject.BaseUrl(host).ToString(), OpenAiProject.ApiKey];

        var run = await ProcessRunner.RunAsync(node, arguments, packages, TimeSpan.FromMinutes(2));
        Assert.True(run.ExitCode == 0, run.Output + "\n--- host ---\n" + host.Output);
        var seen = JsonDocument.Parse(run.StdOut).RootElement;

        var stream = seen.GetProperty("stream");
        Assert.Equal("Streamed to node, piece by piece.", stream.GetProperty("text").GetString());
        Assert.True(stream.GetProperty("chunks").GetInt32() > 3, "the answer came in one piece");
        Assert.Equal("stop", stream.GetProperty("finish").GetString());
        Assert.True(stream.GetProperty("usage").GetProperty("completion_tokens").GetInt32() > 0);

        var whole = seen.GetProperty("whole");
        Assert.Equal("Whole for node.", whole.GetProperty("text").GetString());
        Assert.Equal("stop", whole.GetProperty("finish").GetString());
        Assert.Equal("us.amazon.nova-2-lite-v1:0", whole.GetProperty("model").GetString());

        var tool = seen.GetProperty("tool");
        Assert.Equal("tool_calls", tool.GetProperty("finish").GetString());
        Assert.Equal("get_time", tool.GetProperty("name").GetString());
        Assert.Equal("""{"city":"Oslo"}""", tool.GetProperty("arguments").GetString());
        Assert.Equal("The tools returned: noon in Oslo.", tool.GetProperty("answer").GetString());

        // The npm client raises the data: {"error":...} event that ends a stream, after the text before it.
        var midStream = seen.GetProperty("midStream");
        Assert.True(midStream.GetProperty("raised").GetBoolean(), "the mid-stream error was not raised: " + midStream);
        Assert.False(string.IsNullOrEmpty(midStream.GetProperty("partial").GetString()));

        var before = seen.GetProperty("before");
        Assert.True(before.GetProperty("raised").GetBoolean());
        Assert.Equal(429, before.GetProperty("status").GetInt32());
        Assert.Equal("rate_limit_error", before.GetProperty("type").GetString());

        Assert.Equal(["us.amazon.nova-2-lite-v1:0"], seen.GetProperty("models").EnumerateArray().Select(m => m.GetString()));
    }
}
