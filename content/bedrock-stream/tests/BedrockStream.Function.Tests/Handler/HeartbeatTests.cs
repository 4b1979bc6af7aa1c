using System.Text.Json.Nodes;
using BedrockStream.Function.Runtime;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Time.Testing;

namespace BedrockStream.Function.Tests.Handler;

/// <summary>
/// Heartbeats for fronts that drop a silent connection (CloudFront): an SSE comment after <c>HEARTBEAT_SECONDS</c> of
/// silence once the answer has started, and the answer started anyway when the model is silent for
/// <c>START_STREAM_AFTER_SECONDS</c>. Time is a <see cref="FakeTimeProvider"/> the tests advance; the model waits at
/// <see cref="Gate"/>s, so nothing sleeps.
/// </summary>
public class HeartbeatTests
{
    private const string KeepAlive = ": keep-alive\n\n";
    private static readonly DateTimeOffset Start = new(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);

    private sealed class Run
    {
        public Run(FunctionSettings settings, params Step[] script)
        {
            Time = new FakeTimeProvider(Start);
            Model = new FakeChatClient(null, script);
            Response = new FakeResponseStream { Clock = Time };
            var retry = new RetryPolicy(Time, random: () => 1.0, delay: (_, _) => Task.CompletedTask);
            var handler = new ChatHandler(settings, Model, Log, [], Time, retry);
            var invocation = new Invocation("req-1", Start + TimeSpan.FromSeconds(300), "arn:aws:lambda:us-east-1:123456789012:function:f", null,
                Events.Post("{\"prompt\":\"hi\"}"));
            Handling = handler.HandleAsync(invocation, Response, CancellationToken.None);
        }

        public FakeTimeProvider Time { get; }
        public FakeChatClient Model { get; }
        public FakeResponseStream Response { get; }
        public StringWriter Log { get; } = new();
        public Task Handling { get; }

        public Task ChunksAsync(int count) => Response.WaitUntilAsync(r => r.Chunks.Count >= count);

        /// <summary>Seconds after the invocation began at which each chunk was written.</summary>
        public double[] Seconds => [.. Response.WrittenAt.Select(t => (t - Start).TotalSeconds)];

        public JsonNode LogJson => JsonNode.Parse(Log.ToString())!;
    }

    private static FunctionSettings Settings(int heartbeat = 15, int startAfter = 0) =>
        new("us.amazon.nova-2-lite-v1:0", HeartbeatSeconds: heartbeat, StartStreamAfterSeconds: startAfter);

    [Fact]
    public async Task A_started_answer_that_goes_silent_gets_a_comment_after_each_quiet_period()
    {
        var quiet = new Gate();
        var run = new Run(Settings(heartbeat: 15), Step.Role(), Step.Delta("Hel"), Step.Wait(quiet), Step.Delta("lo"), Step.Stop(), Step.Meta(3, 2));

        await quiet.Reached;
        run.Time.Advance(TimeSpan.FromSeconds(14));
        run.Time.Advance(TimeSpan.FromSeconds(1));
        await run.ChunksAsync(2);
        run.Time.Advance(TimeSpan.FromSeconds(15));
        await run.ChunksAsync(3);
        quiet.Open();
        await run.Handling;

        Assert.Equal(["data: {\"text\":\"Hel\"}\n\n", KeepAlive, KeepAlive, "data: {\"text\":\"lo\"}\n\n"], run.Response.TextChunks[..4]);
        Assert.StartsWith("event: done\n", run.Response.TextChunks[4]);
        // Each comment came after a full quiet period: 15 s after the text, 15 s after the first comment.
        Assert.Equal([0, 15, 30, 30, 30], run.Seconds);
        Assert.Equal(200, (int)run.LogJson["status"]!);
        Assert.Equal(0, (long)run.LogJson["ttftMs"]!);
        Assert.Equal(run.Response.Body.Length, (long)run.LogJson["bytesSent"]!);
    }

    [Fact]
    public async Task A_model_that_keeps_talking_gets_no_heartbeat_even_when_the_answer_is_long()
    {
        var first = new Gate();
        var second = new Gate();
        var run = new Run(Settings(heartbeat: 15), Step.Delta("a"), Step.Wait(first), Step.Delta("b"), Step.Wait(second), Step.Delta("c"), Step.Stop());

        // A token every 10 s: 20 s in all, but never 15 s of silence.
        await first.Reached;
        run.Time.Advance(TimeSpan.FromSeconds(10));
        first.Open();
        await second.Reached;
        run.Time.Advance(TimeSpan.FromSeconds(10));
        second.Open();
        await run.Handling;

        Assert.DoesNotContain(KeepAlive, run.Response.TextChunks);
        Assert.Equal(4, run.Response.Chunks.Count);
    }

    [Fact]
    public async Task A_tool_that_runs_long_gets_heartbeats_between_its_call_and_its_result()
    {
        var tool = new Gate();
        var run = new Run(Settings(heartbeat: 15),
            Step.ToolCall("t1", "slow_lookup"), Step.Wait(tool), Step.ToolResult("t1", "42"), Step.Delta("It is 42."), Step.Stop());

        await tool.Reached;
        run.Time.Advance(TimeSpan.FromSeconds(15));
        await run.ChunksAsync(2);
        tool.Open();
        await run.Handling;

        var chunks = run.Response.TextChunks;
        Assert.StartsWith("event: tool_call\n", chunks[0]);
        Assert.Equal(KeepAlive, chunks[1]);
        Assert.StartsWith("event: tool_result\n", chunks[2]);
    }

    [Fact]
    public async Task A_model_silent_past_the_wait_gets_a_200_and_heartbeats_and_a_later_failure_is_an_error_event()
    {
        var thinking = new Gate();
        var run = new Run(Settings(heartbeat: 15, startAfter: 20), Step.Wait(thinking), Step.Throw("ThrottlingException", "Too many requests"));

        await thinking.Reached;
        run.Time.Advance(TimeSpan.FromSeconds(19));
        Assert.False(run.Response.HasStarted);
        run.Time.Advance(TimeSpan.FromSeconds(1));
        await run.ChunksAsync(1);
        run.Time.Advance(TimeSpan.FromSeconds(15));
        await run.ChunksAsync(2);
        thinking.Open();
        var error = await Assert.ThrowsAsync<ModelException>(() => run.Handling);   // rethrown: the runtime adds Lambda's error trailers

        Assert.Equal("ThrottlingException", error.ErrorCode);
        Assert.Equal(200, run.Response.Status);
        Assert.Equal("text/event-stream", run.Response.Header("Content-Type"));
        Assert.Equal([KeepAlive, KeepAlive], run.Response.TextChunks[..2]);
        Assert.StartsWith("event: error\ndata: {\"type\":\"Throttling\"", run.Response.TextChunks[2]);
        Assert.Equal([20, 35, 35], run.Seconds);
        // Committed to 200: throttling is no longer retried, and the model never produced anything.
        Assert.Single(run.Model.Calls);
        Assert.Equal(200, (int)run.LogJson["status"]!);
        Assert.Null(run.LogJson["ttftMs"]);
        Assert.Equal("ThrottlingException", (string?)run.LogJson["errorType"]);
    }

    [Fact]
    public async Task Before_the_wait_is_over_a_failure_keeps_its_clean_status()
    {
        var thinking = new Gate();
        var run = new Run(Settings(heartbeat: 15, startAfter: 20), Step.Wait(thinking), Step.Throw("AccessDeniedException", "no access"));

        await thinking.Reached;
        run.Time.Advance(TimeSpan.FromSeconds(19));
        thinking.Open();
        await run.Handling;

        Assert.Equal(502, run.Response.Status);
        Assert.Equal("application/json", run.Response.Header("Content-Type"));
        Assert.DoesNotContain(KeepAlive, run.Response.TextChunks);
    }

    [Fact]
    public async Task The_first_token_after_an_early_start_still_measures_the_time_to_first_token()
    {
        var thinking = new Gate();
        var run = new Run(Settings(heartbeat: 0, startAfter: 20), Step.Wait(thinking), Step.Delta("Hi"), Step.Stop());

        await thinking.Reached;
        run.Time.Advance(TimeSpan.FromSeconds(20));
        await run.ChunksAsync(1);
        // With HEARTBEAT_SECONDS 0 the early start is the only comment, however long the silence after it.
        run.Time.Advance(TimeSpan.FromSeconds(60));
        thinking.Open();
        await run.Handling;

        Assert.Equal([KeepAlive, "data: {\"text\":\"Hi\"}\n\n"], run.Response.TextChunks[..2]);
        Assert.Equal(80_000, (long)run.LogJson["ttftMs"]!);
    }

    [Fact]
    public async Task A_model_that_starts_in_time_gets_no_early_start_and_no_comment_later()
    {
        var thinking = new Gate();
        var quiet = new Gate();
        var run = new Run(Settings(heartbeat: 0, startAfter: 20), Step.Wait(thinking), Step.Delta("a"), Step.Wait(quiet), Step.Delta("b"), Step.Stop());

        await thinking.Reached;
        run.Time.Advance(TimeSpan.FromSeconds(5));
        thinking.Open();
        await quiet.Reached;
        // Past the start wait, with the answer long started: the timer armed for it must not write anything.
        run.Time.Advance(TimeSpan.FromSeconds(20));
        quiet.Open();
        await run.Handling;

        Assert.Equal(["data: {\"text\":\"a\"}\n\n", "data: {\"text\":\"b\"}\n\n"], run.Response.TextChunks[..2]);
        Assert.Equal(3, run.Response.Chunks.Count);
        Assert.Equal(5_000, (long)run.LogJson["ttftMs"]!);
    }

    [Fact]
    public async Task With_the_defaults_a_silent_model_gets_no_heartbeat()
    {
        var quiet = new Gate();
        var run = new Run(new FunctionSettings("us.amazon.nova-2-lite-v1:0"), Step.Delta("a"), Step.Wait(quiet), Step.Delta("b"), Step.Stop());

        await quiet.Reached;
        run.Time.Advance(TimeSpan.FromMinutes(4));   // the deadline is 5 minutes away
        quiet.Open();
        await run.Handling;

        Assert.Equal(["data: {\"text\":\"a\"}\n\n", "data: {\"text\":\"b\"}\n\n"], run.Response.TextChunks[..2]);
        Assert.Equal(3, run.Response.Chunks.Count);
    }

    [Fact]
    public async Task The_deadline_still_ends_a_silent_answer_with_a_timeout_event()
    {
        var quiet = new Gate();
        var run = new Run(Settings(heartbeat: 15), Step.Delta("a"), Step.Wait(quiet));

        await quiet.Reached;
        // Lambda's deadline is 300 s away, cut off DEADLINE_MARGIN_MS (1 s) before: 19 heartbeats, then the Timeout event.
        for (int i = 1; i <= 19; i++)
        {
            run.Time.Advance(TimeSpan.FromSeconds(15));
            await run.ChunksAsync(1 + i);
        }
        run.Time.Advance(TimeSpan.FromSeconds(15));
        await run.Handling;

        var chunks = run.Response.TextChunks;
        Assert.Equal(19, chunks.Count(c => c == KeepAlive));
        Assert.StartsWith("event: error\ndata: {\"type\":\"Timeout\"", chunks[^1]);
    }
}
