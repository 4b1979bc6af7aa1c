using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json.Nodes;
using BedrockStream.Function.Runtime;
using Microsoft.Extensions.AI;

namespace BedrockStream.Function.Tests.Handler;

/// <summary>One scripted step of a <see cref="FakeChatClient"/> call.</summary>
internal abstract record Step
{
    public static Step Delta(string text) => new UpdateStep(new ChatResponseUpdate(ChatRole.Assistant, text));
    /// <summary>An update with the assistant role and no content, as at Bedrock's <c>messageStart</c>.</summary>
    public static Step Role() => new UpdateStep(new ChatResponseUpdate(ChatRole.Assistant, []));
    public static Step Reasoning(string text) => new UpdateStep(new ChatResponseUpdate(ChatRole.Assistant, [new TextReasoningContent(text)]));
    public static Step Signature(string signature) => new UpdateStep(new ChatResponseUpdate(ChatRole.Assistant, [new TextReasoningContent(null) { ProtectedData = signature }]));
    public static Step Redacted() => new UpdateStep(new ChatResponseUpdate(ChatRole.Assistant,
        [new TextReasoningContent(null) { AdditionalProperties = new() { [BedrockKeys.RedactedContent] = new byte[] { 1, 2, 3 } } }]));
    public static Step ToolCall(string id, string name, Dictionary<string, object?>? arguments = null) =>
        new UpdateStep(new ChatResponseUpdate(ChatRole.Assistant, [new FunctionCallContent(id, name, arguments)]));
    public static Step ToolResult(string id, object? result, Exception? error = null) =>
        new UpdateStep(new ChatResponseUpdate(ChatRole.Tool, [new FunctionResultContent(id, result) { Exception = error }]));
    public static Step Stop(string reason = "end_turn") => new UpdateStep(BedrockStopReason.MessageStop(reason));
    public static Step Meta(int input, int output, int? cacheRead = null, int? cacheWrite = null) => new UpdateStep(new ChatResponseUpdate(ChatRole.Assistant,
        [new UsageContent(new UsageDetails
        {
            InputTokenCount = input,
            OutputTokenCount = output,
            CachedInputTokenCount = cacheRead,
            AdditionalCounts = cacheWrite is { } w ? new() { [BedrockKeys.CacheWriteInputTokens] = w } : null,
        })]));
    public static Step Throw(string code, string message = "boom", TimeSpan? retryAfter = null) => new ThrowStep(new ModelException(code, message, retryAfter: retryAfter));
    /// <summary>Any other failure, e.g. a bug in middleware.</summary>
    public static Step Fail(Exception error) => new ThrowStep(error);
    public static Step Advance(int milliseconds) => new AdvanceStep(TimeSpan.FromMilliseconds(milliseconds));
    /// <summary>Signals <see cref="FakeChatClient.Hanging"/>, then waits until the call's token is cancelled.</summary>
    public static Step Hang() => new HangStep();
    /// <summary>Signals <see cref="Gate.Reached"/>, then waits until the test opens the gate (a silent model or tool).</summary>
    public static Step Wait(Gate gate) => new GateStep(gate);
}

/// <summary>A point where a scripted model stops until the test lets it go on.</summary>
internal sealed class Gate
{
    private readonly TaskCompletionSource _reached = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _opened = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completes when the model arrives at the gate.</summary>
    public Task Reached => _reached.Task.WaitAsync(TestTimeouts.Signal);

    public void Open() => _opened.TrySetResult();

    internal async Task PassAsync(CancellationToken cancellationToken)
    {
        _reached.TrySetResult();
        await _opened.Task.WaitAsync(cancellationToken);
    }
}
internal sealed record UpdateStep(ChatResponseUpdate Update) : Step;
internal sealed record ThrowStep(Exception Error) : Step;
internal sealed record AdvanceStep(TimeSpan By) : Step;
internal sealed record HangStep : Step;
internal sealed record GateStep(Gate Gate) : Step;

/// <summary>One call the handler made: the messages and options it passed.</summary>
internal sealed record ChatCall(IReadOnlyList<ChatMessage> Messages, ChatOptions? Options);

/// <summary>
/// A scripted <see cref="IChatClient"/>: each call plays the next script (the last one repeats), its updates stamped with
/// one message id per call, as the Bedrock clients do.
/// </summary>
internal sealed class FakeChatClient(ManualTimeProvider? time, params Step[][] scripts) : IChatClient
{
    public List<ChatCall> Calls { get; } = [];
    public TaskCompletionSource Hanging { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public static FakeChatClient Answer(params string[] deltas) =>
        new(null, [Step.Role(), .. deltas.Select(Step.Delta), Step.Stop(), Step.Meta(12, deltas.Length)]);

    public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
        GetStreamingResponseAsync(messages, options, cancellationToken).ToChatResponseAsync(cancellationToken);

    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        Calls.Add(new ChatCall([.. messages], options));
        var script = scripts[Math.Min(Calls.Count - 1, scripts.Length - 1)];
        foreach (var step in script)
        {
            await Task.Yield();
            switch (step)
            {
                case UpdateStep u:
                    var update = u.Update.Clone();
                    update.MessageId ??= $"msg-{Calls.Count}";
                    yield return update;
                    break;
                case ThrowStep t:
                    throw t.Error;
                case AdvanceStep a:
                    time!.Advance(a.By);
                    break;
                case HangStep:
                    Hanging.TrySetResult();
                    await Task.Delay(Timeout.Infinite, cancellationToken);
                    break;
                case GateStep g:
                    await g.Gate.PassAsync(cancellationToken);
                    break;
            }
        }
    }

    public object? GetService(Type serviceType, object? serviceKey = null) => null;

    public void Dispose() { }
}

/// <summary>Records the status, the headers and every write as a separate chunk (with its time on <see cref="Clock"/>, if set).</summary>
internal sealed class FakeResponseStream : IHttpResponseStream
{
    private readonly object _gate = new();
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public bool HasStarted { get; private set; }
    public int? Status { get; private set; }
    public IReadOnlyList<KeyValuePair<string, string>> Headers { get; private set; } = [];
    public List<byte[]> Chunks { get; } = [];
    /// <summary>When each chunk was written, on <see cref="Clock"/>.</summary>
    public List<DateTimeOffset> WrittenAt { get; } = [];
    public TimeProvider? Clock { get; init; }
    public TaskCompletionSource FirstWrite { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public ValueTask StartAsync(int statusCode, IReadOnlyList<KeyValuePair<string, string>> headers, CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            if (HasStarted)
                throw new InvalidOperationException("StartAsync called twice");
            HasStarted = true;
            Status = statusCode;
            Headers = [.. headers];
            Changed();
        }
        return ValueTask.CompletedTask;
    }

    public ValueTask WriteAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            if (!HasStarted)
                throw new InvalidOperationException("WriteAsync before StartAsync");
            Chunks.Add(data.ToArray());
            WrittenAt.Add(Clock?.GetUtcNow() ?? default);
            Changed();
        }
        FirstWrite.TrySetResult();
        return ValueTask.CompletedTask;
    }

    /// <summary>Waits (on writes, not on a clock) until <paramref name="condition"/> holds; fails after <see cref="TestTimeouts.Signal"/>.</summary>
    public async Task WaitUntilAsync(Func<FakeResponseStream, bool> condition)
    {
        using var timeout = new CancellationTokenSource(TestTimeouts.Signal);
        while (true)
        {
            Task changed;
            lock (_gate)
            {
                if (condition(this))
                    return;
                changed = _changed.Task;
            }
            await changed.WaitAsync(timeout.Token);
        }
    }

    private void Changed()
    {
        var changed = _changed;
        _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
        changed.TrySetResult();
    }

    public string Body => string.Concat(Chunks.Select(c => Encoding.UTF8.GetString(c)));
    public string[] TextChunks => [.. Chunks.Select(c => Encoding.UTF8.GetString(c))];

    public string? Header(string name) =>
        Headers.Where(h => string.Equals(h.Key, name, StringComparison.OrdinalIgnoreCase)).Select(h => h.Value).SingleOrDefault();

    public JsonNode Json => JsonNode.Parse(Body)!;
}

/// <summary>A clock that moves only when told to; timers (deadlines, delays) fire when it passes them.</summary>
internal sealed class ManualTimeProvider : TimeProvider
{
    private static readonly DateTimeOffset Origin = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private readonly List<ManualTimer> _timers = [];
    private DateTimeOffset _now = Origin;

    public override DateTimeOffset GetUtcNow() { lock (_timers) return _now; }
    public override long TimestampFrequency => TimeSpan.TicksPerSecond;
    public override long GetTimestamp() => (GetUtcNow() - Origin).Ticks;

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var timer = new ManualTimer(this, callback, state);
        timer.Change(dueTime, period);
        return timer;
    }

    public void Advance(TimeSpan by)
    {
        List<ManualTimer> due;
        lock (_timers)
        {
            _now += by;
            due = [.. _timers.Where(t => t.DueAt is { } at && at <= _now)];
            foreach (var t in due)
                t.DueAt = null;
        }
        foreach (var t in due)
            t.Fire();
    }

    private sealed class ManualTimer(ManualTimeProvider owner, TimerCallback callback, object? state) : ITimer
    {
        public DateTimeOffset? DueAt { get; set; }

        public bool Change(TimeSpan dueTime, TimeSpan period)
        {
            lock (owner._timers)
            {
                DueAt = dueTime == Timeout.InfiniteTimeSpan ? null : owner._now + dueTime;
                if (!owner._timers.Contains(this))
                    owner._timers.Add(this);
            }
            if (dueTime == TimeSpan.Zero)
                owner.Advance(TimeSpan.Zero);
            return true;
        }

        public void Fire() => callback(state);

        public void Dispose() { lock (owner._timers) owner._timers.Remove(this); }
        public ValueTask DisposeAsync() { Dispose(); return ValueTask.CompletedTask; }
    }
}

/// <summary>Function URL events (payload format 2.0).</summary>
internal static class Events
{
    public static byte[] Post(string? body, string? contentType = "application/json", bool base64 = false) =>
        Build("POST", body, contentType, base64, rawQuery: null);

    public static byte[] PostJson(JsonObject body) => Post(body.ToJsonString());

    public static byte[] Get(string rawQuery) => Build("GET", null, null, false, rawQuery);

    public static byte[] Method(string method) => Build(method, "{\"prompt\":\"hi\"}", "application/json", false, null);

    public static byte[] Build(string method, string? body, string? contentType, bool base64, string? rawQuery, JsonObject? queryParameters = null, string path = "/")
    {
        var headers = new JsonObject { ["host"] = "abc.lambda-url.us-east-1.on.aws", ["user-agent"] = "curl/8.5.0" };
        if (contentType is not null)
            headers["content-type"] = contentType;
        var e = new JsonObject
        {
            ["version"] = "2.0",
            ["routeKey"] = "$default",
            ["rawPath"] = path,
            ["rawQueryString"] = rawQuery ?? "",
            ["headers"] = headers,
            ["requestContext"] = new JsonObject
            {
                ["http"] = new JsonObject { ["method"] = method, ["path"] = path, ["protocol"] = "HTTP/1.1", ["sourceIp"] = "1.2.3.4" },
                ["requestId"] = "url-req-1",
                ["timeEpoch"] = 1583348638390,
            },
            ["isBase64Encoded"] = base64,
        };
        if (queryParameters is not null)
            e["queryStringParameters"] = queryParameters;
        if (body is not null)
            e["body"] = body;
        return Encoding.UTF8.GetBytes(e.ToJsonString());
    }
}

/// <summary>A handler wired to fakes: a manual clock, a recording response, a captured log, instant retry waits.</summary>
internal sealed class Harness
{
    public Harness(FakeChatClient model, FunctionSettings? settings = null, ManualTimeProvider? time = null)
    {
        Time = time ?? new ManualTimeProvider();
        Model = model;
        Settings = settings ?? new FunctionSettings("us.amazon.nova-2-lite-v1:0");
        Retry = new RetryPolicy(Time, random: () => 1.0, delay: (wait, _) =>
        {
            Waits.Add(wait);
            Time.Advance(wait);
            return Task.CompletedTask;
        });
    }

    public ManualTimeProvider Time { get; }
    public FakeChatClient Model { get; }
    public FunctionSettings Settings { get; set; }
    public FakeResponseStream Response { get; } = new();
    public StringWriter Log { get; } = new();
    public List<TimeSpan> Waits { get; } = [];
    public RetryPolicy Retry { get; }

    /// <summary>The tools offered to the model (none unless a test sets them).</summary>
    public List<AITool> Tools { get; } = [];

    public ChatHandler CreateHandler() => new(Settings, Model, Log, Tools, Time, Retry);

    /// <summary>Runs one invocation whose Lambda deadline is <paramref name="deadlineIn"/> from now (default 60 s).</summary>
    public Task RunAsync(byte[] payload, TimeSpan? deadlineIn = null, CancellationToken cancellationToken = default)
    {
        var invocation = new Invocation("8476a536-e9f4-11e8-9739-2dfe598c3fcd", Time.GetUtcNow() + (deadlineIn ?? TimeSpan.FromSeconds(60)),
            "arn:aws:lambda:us-east-1:123456789012:function:f", null, payload);
        return CreateHandler().HandleAsync(invocation, Response, cancellationToken);
    }

    public string[] LogLines => Log.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
    public JsonNode LogJson => JsonNode.Parse(Assert.Single(LogLines))!;
}

internal static class TestTimeouts
{
    public static readonly TimeSpan Signal = TimeSpan.FromSeconds(10);
}
