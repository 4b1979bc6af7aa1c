using System.Text.Json;
using BedrockStream.Function.Local;

namespace BedrockStream.Function.Tests.EndToEnd;

/// <summary>
/// The tool loop end to end, with the template's <c>current_time</c> tool and a Claude model that reasons: the fake
/// model checks each follow-up request as Bedrock does (tool results answering tool uses, reasoning sent back with its
/// signature, a toolConfig present), so a request Claude would reject fails here too.
/// </summary>
[Collection(EndToEndCollection.Name)]
public sealed class ToolTests(ClaudeHostFixture fixture)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);

    private async Task<(StreamedResponse Response, List<SseEvent> Events)> AskAsync(string prompt)
    {
        var response = await StreamedResponse.PostJsonAsync(fixture.Http, fixture.Host.FunctionUrl, new { prompt }, Timeout);
        Assert.True(response.Status == 200, $"status {response.Status}: {response.Text}\n{fixture.RecentLog}");
        return (response, [.. response.Events()]);
    }

    [Fact]
    public async Task A_tool_round_trip_streams_the_call_and_the_result_and_sends_the_signed_reasoning_back()
    {
        fixture.ResetModel();

        var (_, events) = await AskAsync("#reason:5 What time is it in Europe/Paris?");

        // In order, each kind once or in a run: reasoning, the model's preamble, the call, the result, the answer, done.
        var kinds = events.Select(e => e.Type).Where((type, i) => i == 0 || events[i - 1].Type != type);
        Assert.Equal(["reasoning", "message", "tool_call", "tool_result", "message", "done"], kinds);
        var call = events.Single(e => e.Type == "tool_call").Json;
        Assert.Equal("current_time", call.GetProperty("name").GetString());
        Assert.Equal("""{"timeZone":"Europe/Paris"}""", call.GetProperty("arguments").GetRawText());
        var result = events.Single(e => e.Type == "tool_result").Json.GetProperty("result");
        Assert.Equal("Europe/Paris", result.GetProperty("timeZone").GetString());
        Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d$", result.GetProperty("time").GetString());
        var done = events[^1].Json;
        Assert.Equal((1, "end_turn"), (done.GetProperty("toolCalls").GetInt32(), done.GetProperty("stopReason").GetString()));

        // The second model request carries the assistant's turn (its reasoning, signed, first) and the tool's result.
        var requests = fixture.Model.Requests;
        Assert.Equal(2, requests.Count);
        var second = requests[1].Request!;
        var assistant = second.Messages.Single(m => m.Role == "assistant");
        Assert.Equal(["reasoning", "text", "toolUse"], assistant.Blocks.Select(b => b.Kind));
        Assert.Equal(FakeConverseRequest.Sign(assistant.Blocks[0].Text!), assistant.Blocks[0].Signature);
        var toolResult = second.ToolResults.Single();
        Assert.Equal(assistant.Blocks[2].ToolUseId, toolResult.ToolUseId);
        Assert.Null(toolResult.Status);
        Assert.Contains("Europe/Paris", toolResult.Text);
        Assert.Equal(200, requests[1].StatusCode);
    }

    [Fact]
    public async Task A_tool_that_throws_is_an_error_result_for_the_model_and_the_caller()
    {
        fixture.ResetModel();

        var (_, events) = await AskAsync("""#tool:current_time{"timeZone":"Mars/Olympus"} hi""");

        var result = events.Single(e => e.Type == "tool_result").Json;
        Assert.Contains("Unknown time zone 'Mars/Olympus'", result.GetProperty("error").GetString());
        var sent = fixture.Model.Requests[1].Request!.ToolResults.Single();
        Assert.Equal("error", sent.Status);
        Assert.Contains("Mars/Olympus", sent.Text);
        Assert.Equal("done", events[^1].Type);
    }

    [Fact]
    public async Task A_call_to_an_unknown_tool_is_an_error_result()
    {
        fixture.ResetModel();

        var (_, events) = await AskAsync("#tool:weather hi");

        var result = events.Single(e => e.Type == "tool_result").Json;
        Assert.Equal("weather", result.GetProperty("name").GetString());
        Assert.Contains("does not have: weather", result.GetProperty("error").GetString());
        Assert.Contains("not found", fixture.Model.Requests[1].Request!.ToolResults.Single().Text);
        Assert.Equal("done", events[^1].Type);
    }

    [Fact]
    public async Task A_model_that_keeps_calling_tools_is_stopped_after_MAX_TOOL_ROUNDS()
    {
        fixture.ResetModel();

        var (_, events) = await AskAsync("#tool-loop:current_time hi");

        Assert.Equal(2, events.Count(e => e.Type == "tool_result"));   // MAX_TOOL_ROUNDS=2 on this host
        Assert.Equal(("error", "ToolLoopLimit"), (events[^1].Type, events[^1].Json.GetProperty("type").GetString()));
        Assert.Equal(3, fixture.Model.Requests.Count);                  // the third turn's call was not run, no fourth turn
        Assert.All(fixture.Model.Requests, r => Assert.Equal(200, r.StatusCode));
    }
}

/// <summary>The function has tools, so a model that cannot stream tool calls is refused when the function starts.</summary>
[Collection(EndToEndCollection.Name)]
public sealed class ToolModelStartupTests
{
    [Fact]
    public async Task Tools_with_a_model_that_cannot_stream_tool_calls_are_an_init_error()
    {
        var error = await StartupConfigurationTests.InitErrorAsync(("MODEL_ID", "us.deepseek.r1-v1:0"));

        Assert.Contains("Runtime.ConfigInvalid", error);
        Assert.Contains("does not support tool use in streaming mode", error);
    }
}
