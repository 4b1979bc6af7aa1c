using Amazon.Runtime;
using BedrockStream.Function.Local;
using BedrockStream.Function.Runtime;
using Microsoft.Extensions.AI;

namespace BedrockStream.Function.Tests.EndToEnd;

/// <summary>
/// Slow tools end to end: the function runs in this process (its Runtime API client and loop, the Bedrock client, the
/// tool loop, the handler) against the local host's emulator, which sets a real deadline, and its fake Bedrock, which
/// checks the follow-up request. In-process because the tool must be one the test controls: the function's own build
/// only has the template's tools.
/// </summary>
[Collection(EndToEndCollection.Name)]
public sealed class SlowToolTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    /// <summary>A tool that never finishes by itself; it ends only when its token is cancelled.</summary>
    private static readonly AIFunction Stuck = AIFunctionFactory.Create(async (CancellationToken cancellationToken) =>
    {
        await Task.Delay(Timeout.Infinite, cancellationToken);
        return "never";
    }, "slow_lookup", "Looks something up, slowly.");

    [Fact]
    public async Task A_tool_past_TOOL_TIMEOUT_SECONDS_gives_the_model_an_error_result_and_the_answer_goes_on()
    {
        await using var function = await InProcessFunction.StartAsync(TimeSpan.FromSeconds(20), new FunctionSettings(ModelId, ToolTimeoutSeconds: 1), Stuck);

        var response = await StreamedResponse.PostJsonAsync(function.Http, function.Host.FunctionUrl, new { prompt = "#tool:slow_lookup hi" }, Patience);

        Assert.Equal(200, response.Status);
        var events = response.Events();
        Assert.Equal("The tool slow_lookup did not finish within 1 s.", events.Single(e => e.Type == "tool_result").Json.GetProperty("error").GetString());
        Assert.Equal("done", events[^1].Type);
        var sent = function.Host.FakeModel!.Requests[1].Request!.ToolResults.Single();
        Assert.Equal("error", sent.Status);
        Assert.Contains("did not finish within 1 s", sent.Text);
    }

    [Fact]
    public async Task A_tool_running_into_the_deadline_ends_the_stream_cleanly_before_Lambda_would_stop_it()
    {
        // The tool may take 60 s, the invocation 4 s: with the 1 s margin, the answer ends after about 3 s with a
        // Timeout event, and the runtime reports a complete response (the host would show a timed-out invocation).
        await using var function = await InProcessFunction.StartAsync(TimeSpan.FromSeconds(4), new FunctionSettings(ModelId, ToolTimeoutSeconds: 60), Stuck);

        var response = await StreamedResponse.PostJsonAsync(function.Http, function.Host.FunctionUrl, new { prompt = "#tool:slow_lookup hi" }, Patience);

        Assert.Equal(200, response.Status);
        var events = response.Events();
        Assert.Equal("slow_lookup", events.Single(e => e.Type == "tool_call").Json.GetProperty("name").GetString());
        Assert.Equal(("error", "Timeout"), (events[^1].Type, events[^1].Json.GetProperty("type").GetString()));
        Assert.Null(response.Broken);
        Assert.DoesNotContain(function.Host.Events.Snapshot(), e => e.Kind is RuntimeEventKind.InvocationTimedOut);
        Assert.Single(function.Host.FakeModel!.Requests);
    }

    private const string ModelId = "us.anthropic.claude-haiku-4-5-20251001-v1:0";

    /// <summary>The local host with the function served from this process.</summary>
    private sealed class InProcessFunction : IAsyncDisposable
    {
        private readonly CancellationTokenSource _stop = new();
        private Task _loop = Task.CompletedTask;

        private InProcessFunction(LocalHost host) => Host = host;

        public LocalHost Host { get; }

        public HttpClient Http { get; } = new() { Timeout = Timeout.InfiniteTimeSpan };

        public static async Task<InProcessFunction> StartAsync(TimeSpan functionTimeout, FunctionSettings settings, params AIFunction[] tools)
        {
            var host = await LocalHost.StartAsync(new LocalHostOptions { StartFunction = false, TokenRate = 0, FunctionTimeout = functionTimeout, Log = _ => { } });
            var fake = host.FakeModel!;
            IChatClient chat = new BedrockChatClient(settings.ModelId, fake.Endpoint!, fake.Region, new BedrockChatClientOptions { HasTools = true },
                    new SessionAWSCredentials(fake.AccessKeyId, fake.SecretAccessKey, fake.SessionToken))
                .AsBuilder()
                .Use(model => ToolLoop.Around(model, settings))
                .Build();
            var handler = new ChatHandler(settings, chat, TextWriter.Null, tools);
            var function = new InProcessFunction(host);
            var bootstrap = new LambdaBootstrap(new RuntimeApiClient(host.RuntimeApiEndpoint.Authority), handler.HandleAsync);
            function._loop = Task.Run(() => bootstrap.RunAsync(function._stop.Token));
            return function;
        }

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            await Host.DisposeAsync();
            // The loop ends when its pending /next poll is cancelled or the emulator goes away.
            await _loop.WaitAsync(Patience).ContinueWith(_ => { }, TaskScheduler.Default);
            Http.Dispose();
            _stop.Dispose();
        }
    }
}
