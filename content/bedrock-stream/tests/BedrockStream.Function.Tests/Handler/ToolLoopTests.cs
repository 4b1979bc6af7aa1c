using System.Text.Json;
using BedrockStream.Function.Runtime;
using BedrockStream.Function.Tools;
using Microsoft.Extensions.AI;

namespace BedrockStream.Function.Tests.Handler;

/// <summary>
/// The tool loop as a function with tools builds it (<see cref="ToolLoop.UseToolLoop"/>, i.e. <see cref="ToolLoop.Around"/>
/// the model) with the handler: round trips, failing and slow tools, unknown tools, the round limit, and the caller's
/// reasoning effort; and no loop at all in a function without tools.
/// </summary>
public class ToolLoopTests
{
    private static readonly byte[] Prompt = Events.Post("{\"prompt\":\"What time is it?\"}");

    /// <summary>A harness whose handler calls the fake model through the real tool loop.</summary>
    private sealed class LoopHarness
    {
        public LoopHarness(FakeChatClient model, FunctionSettings settings, params AITool[] tools)
        {
            Model = model;
            Chat = new ChatClientBuilder(model).Use(inner => ToolLoop.Around(inner, settings)).Build();
            Settings = settings;
            Tools = tools;
        }

        public FakeChatClient Model { get; }
        public IChatClient Chat { get; }
        public FunctionSettings Settings { get; }
        public AITool[] Tools { get; }
        public FakeResponseStream Response { get; } = new();
        public StringWriter Log { get; } = new();

        public Task RunAsync(TimeSpan? deadlineIn = null) =>
            new ChatHandler(Settings, Chat, Log, Tools).HandleAsync(
                new Invocation("req-1", DateTimeOffset.UtcNow + (deadlineIn ?? TimeSpan.FromMinutes(1)), "arn", null, Prompt), Response, default);

        public List<(string Type, JsonElement Data)> Events() =>
            [.. Response.TextChunks.Select(c =>
            {
                var lines = c.Split('\n');
                var type = lines[0].StartsWith("event: ", StringComparison.Ordinal) ? lines[0][7..] : "message";
                return (type, JsonDocument.Parse(lines.First(l => l.StartsWith("data: ", StringComparison.Ordinal))[6..]).RootElement.Clone());
            })];
    }

    private static AIFunction Clock(Func<string?, string> body) =>
        AIFunctionFactory.Create((string? timeZone) => body(timeZone), "current_time", "The current time.");

    private static Step[] CallsClock(string id, string? zone = "Europe/Paris") =>
        [Step.Role(), Step.Delta("Let me check."), Step.ToolCall(id, "current_time", zone is null ? null : new() { ["timeZone"] = zone }), Step.Stop("tool_use"), Step.Meta(10, 5)];

    private static readonly Step[] Answers = [Step.Role(), Step.Delta("It is noon."), Step.Stop("end_turn"), Step.Meta(20, 4)];

    [Fact]
    public async Task A_tool_call_is_run_its_result_goes_back_to_the_model_and_both_are_events()
    {
        var h = new LoopHarness(new FakeChatClient(null, CallsClock("t1"), Answers), new FunctionSettings("m"), Clock(zone => $"12:00 in {zone}"));

        await h.RunAsync();

        Assert.Equal(["message", "tool_call", "tool_result", "message", "done"], h.Events().Select(e => e.Type));
        var result = h.Events()[2].Data;
        Assert.Equal(("t1", "current_time", "12:00 in Europe/Paris"), (result.GetProperty("id").GetString(), result.GetProperty("name").GetString(), result.GetProperty("result").GetString()));
        // The second model call carries the assistant's tool call and the tool's result.
        var second = h.Model.Calls[1].Messages;
        Assert.Contains(second, m => m.Role == ChatRole.Assistant && m.Contents.OfType<FunctionCallContent>().Any(c => c.CallId == "t1"));
        Assert.Contains(second, m => m.Role == ChatRole.Tool && m.Contents.OfType<FunctionResultContent>().Any(r => r.CallId == "t1" && r.Exception is null));
        var done = h.Events()[^1].Data;
        Assert.Equal((1, 30, 9), (done.GetProperty("toolCalls").GetInt32(), done.GetProperty("inputTokens").GetInt32(), done.GetProperty("outputTokens").GetInt32()));
        Assert.Equal("end_turn", done.GetProperty("stopReason").GetString());
    }

    [Fact]
    public async Task A_tool_that_throws_gives_the_model_an_error_result_and_the_caller_a_tool_result_with_error()
    {
        var h = new LoopHarness(new FakeChatClient(null, CallsClock("t1", "Mars/Olympus"), Answers), new FunctionSettings("m"),
            Clock(zone => throw new ArgumentException($"Unknown time zone '{zone}'.")));

        await h.RunAsync();

        var result = h.Events().Single(e => e.Type == "tool_result").Data;
        Assert.Equal("Unknown time zone 'Mars/Olympus'.", result.GetProperty("error").GetString());
        Assert.False(result.TryGetProperty("result", out _));
        var toModel = h.Model.Calls[1].Messages.SelectMany(m => m.Contents).OfType<FunctionResultContent>().Single();
        Assert.NotNull(toModel.Exception);
        Assert.Contains("Mars/Olympus", toModel.Result?.ToString());   // the model sees why, so it can correct its call
        Assert.Equal("done", h.Events()[^1].Type);
    }

    [Fact]
    public async Task A_tool_running_past_TOOL_TIMEOUT_SECONDS_is_an_error_result_and_the_answer_goes_on()
    {
        var slow = AIFunctionFactory.Create(async (string? timeZone, CancellationToken cancellationToken) =>
        {
            await Task.Delay(Timeout.Infinite, cancellationToken);
            return "never";
        }, "current_time", "The current time.");
        var h = new LoopHarness(new FakeChatClient(null, CallsClock("t1"), Answers), new FunctionSettings("m", ToolTimeoutSeconds: 1), slow);

        await h.RunAsync().WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal("The tool current_time did not finish within 1 s.", h.Events().Single(e => e.Type == "tool_result").Data.GetProperty("error").GetString());
        Assert.Equal(["It is noon."], h.Events().Where(e => e.Type == "message").Skip(1).Select(e => e.Data.GetProperty("text").GetString()));
    }

    [Fact]
    public async Task A_tool_that_ignores_its_token_still_cannot_hold_the_answer()
    {
        var stuck = new TaskCompletionSource<string>();
        var h = new LoopHarness(new FakeChatClient(null, CallsClock("t1"), Answers), new FunctionSettings("m", ToolTimeoutSeconds: 1),
            AIFunctionFactory.Create((string? timeZone) => stuck.Task, "current_time", "The current time."));

        await h.RunAsync().WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Contains("did not finish within 1 s", h.Events().Single(e => e.Type == "tool_result").Data.GetProperty("error").GetString());
        stuck.SetResult("late");
    }

    [Fact]
    public async Task A_tool_running_into_the_invocations_deadline_ends_the_stream_with_a_timeout_event()
    {
        var slow = AIFunctionFactory.Create(async (string? timeZone, CancellationToken cancellationToken) =>
        {
            await Task.Delay(Timeout.Infinite, cancellationToken);
            return "never";
        }, "current_time", "The current time.");
        // The tool may take 60 s, but the invocation ends 1.5 s from now (1 s deadline margin): the deadline wins.
        var h = new LoopHarness(new FakeChatClient(null, CallsClock("t1"), Answers), new FunctionSettings("m", ToolTimeoutSeconds: 60), slow);

        await h.RunAsync(deadlineIn: TimeSpan.FromMilliseconds(1500)).WaitAsync(TimeSpan.FromSeconds(30));

        var last = h.Events()[^1];
        Assert.Equal(("error", "Timeout"), (last.Type, last.Data.GetProperty("type").GetString()));
        Assert.Single(h.Model.Calls);
    }

    [Fact]
    public async Task A_call_to_a_tool_the_function_does_not_have_is_an_error_result()
    {
        Step[] asksForWeather = [Step.Role(), Step.ToolCall("t9", "weather"), Step.Stop("tool_use")];
        var h = new LoopHarness(new FakeChatClient(null, asksForWeather, Answers), new FunctionSettings("m"), Clock(_ => "12:00"));

        await h.RunAsync();

        var result = h.Events().Single(e => e.Type == "tool_result").Data;
        Assert.Equal("weather", result.GetProperty("name").GetString());
        Assert.Contains("does not have: weather", result.GetProperty("error").GetString());
        var toModel = h.Model.Calls[1].Messages.SelectMany(m => m.Contents).OfType<FunctionResultContent>().Single();
        Assert.Contains("not found", toModel.Result?.ToString());
    }

    [Fact]
    public async Task The_loop_stops_after_MAX_TOOL_ROUNDS_turns_with_a_ToolLoopLimit_error()
    {
        var ran = 0;
        var h = new LoopHarness(new FakeChatClient(null, CallsClock("t1"), CallsClock("t2"), CallsClock("t3"), CallsClock("t4")),
            new FunctionSettings("m", MaxToolRounds: 2), Clock(_ => { ran++; return "12:00"; }));

        await h.RunAsync();

        var events = h.Events();
        Assert.Equal(2, events.Count(e => e.Type == "tool_call"));
        Assert.Equal(2, ran);                // the third turn's call is not run...
        Assert.Equal(3, h.Model.Calls.Count); // ...and no fourth turn is asked for
        Assert.Equal(("error", "ToolLoopLimit"), (events[^1].Type, events[^1].Data.GetProperty("type").GetString()));
        Assert.Equal("ToolLoopLimit", JsonDocument.Parse(h.Log.ToString()).RootElement.GetProperty("errorType").GetString());
    }

    [Theory]
    [InlineData(ReasoningEffort.High, null, ReasoningEffort.High)]
    [InlineData(ReasoningEffort.High, "low", ReasoningEffort.Low)]
    [InlineData(ReasoningEffort.High, "off", ReasoningEffort.None)]
    [InlineData(ReasoningEffort.Low, "high", ReasoningEffort.Low)]    // a caller cannot raise it
    [InlineData(ReasoningEffort.None, "medium", ReasoningEffort.None)] // nor switch it on
    public async Task A_request_may_lower_the_reasoning_effort_never_raise_it(ReasoningEffort configured, string? asked, ReasoningEffort expected)
    {
        var model = FakeChatClient.Answer("ok");
        var h = new Harness(model, new FunctionSettings("m", ReasoningEffort: configured));
        var body = asked is null ? "{\"prompt\":\"x\"}" : $"{{\"prompt\":\"x\",\"reasoning\":\"{asked}\"}}";

        await h.RunAsync(Events.Post(body));

        Assert.Equal(expected, model.Calls.Single().Options!.Reasoning?.Effort ?? ReasoningEffort.None);
    }

    [Fact]
    public async Task An_unknown_reasoning_value_is_a_400_before_any_model_call()
    {
        var h = new Harness(FakeChatClient.Answer("never"), new FunctionSettings("m", ReasoningEffort: ReasoningEffort.High));

        await h.RunAsync(Events.Post("{\"prompt\":\"x\",\"reasoning\":\"max\"}"));

        Assert.Equal(400, h.Response.Status);
        Assert.Empty(h.Model.Calls);
    }

    [Fact]
    public async Task A_request_without_tools_goes_straight_to_the_model_and_no_update_is_kept_for_the_answers_end()
    {
        // The tool loop keeps every update of a model turn until it ends; an answer without tools must not be held.
        var chat = new ChatClientBuilder(FakeChatClient.Answer("one", "two", "three")).Use(inner => ToolLoop.Around(inner, new FunctionSettings("m"))).Build();
        WeakReference? first = null;
        bool firstAliveAtTheEnd = true;

        await foreach (var update in chat.GetStreamingResponseAsync([new ChatMessage(ChatRole.User, "hi")], new ChatOptions()))
        {
            first ??= Track(update);
            if (update.Contents.OfType<UsageContent>().Any())
            {
                GC.Collect();
                GC.WaitForPendingFinalizers();
                firstAliveAtTheEnd = first.IsAlive;
            }
        }

        Assert.False(firstAliveAtTheEnd);
    }

    [Fact]
    public async Task A_request_with_tools_goes_through_the_loop()
    {
        var model = new FakeChatClient(null, CallsClock("t1"), Answers);
        var chat = new ChatClientBuilder(model).Use(inner => ToolLoop.Around(inner, new FunctionSettings("m"))).Build();

        var response = await chat.GetResponseAsync([new ChatMessage(ChatRole.User, "hi")], new ChatOptions { Tools = [Clock(_ => "noon")] });

        Assert.Equal(2, model.Calls.Count);
        Assert.Equal("It is noon.", response.Messages[^1].Text);
        Assert.NotNull(chat.GetService<FunctionInvokingChatClient>());
    }

    [Fact]
    public void Program_cs_adds_the_loop_only_to_a_function_with_tools()
    {
        // Tools/ files register their tools when the function starts; without any, no code may reach the loop, so
        // that Native AOT leaves it (and Microsoft.Extensions.AI's JSON metadata) out of the binary.
        var chat = new ChatClientBuilder(FakeChatClient.Answer("hi")).UseToolLoop(new FunctionSettings("m")).Build();

        Assert.Equal(FunctionTools.All.Count > 0, chat.GetService<FunctionInvokingChatClient>() is not null);
    }

    [Fact]
    public void The_openai_format_never_has_the_loop()
    {
        var chat = new ChatClientBuilder(FakeChatClient.Answer("hi")).UseToolLoop(new FunctionSettings("m") { Format = ResponseFormat.OpenAi }).Build();

        Assert.Null(chat.GetService<FunctionInvokingChatClient>());
    }

    // Not inlined: no local of the caller's frame may keep the update alive.
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private static WeakReference Track(object target) => new(target);
}
