using BedrockStream.Function.Local;

namespace BedrockStream.Function.Tests.EndToEnd;

/// <summary>
/// Lambda's deadline: with a model that stalls, the function ends the stream itself with
/// <c>event: error</c> of type Timeout shortly before <c>Lambda-Runtime-Deadline-Ms</c>, instead of being
/// cut off by Lambda (here: by the host, which would log InvocationTimedOut and restart it).
/// </summary>
[Collection(EndToEndCollection.Name)]
public sealed class DeadlineTests
{
    [Fact]
    public async Task A_stalled_model_ends_the_stream_with_a_timeout_event_before_the_deadline()
    {
        var options = new LocalHostOptions
        {
            FunctionTimeout = TimeSpan.FromSeconds(2),
            FunctionCommand = TestFunction.Command,
            Log = _ => { },
        };
        options.Environment["DEADLINE_MARGIN_MS"] = "500";
        await using var host = await LocalHost.StartAsync(options);
        using var http = new HttpClient { Timeout = Timeout.InfiniteTimeSpan };
        // A warm function first: with a 2 s timeout, a cold JIT-compiled first call could use up the deadline before the first token.
        await StreamedResponse.PostJsonAsync(http, host.FunctionUrl, new { prompt = "#tokens:1 warm up" }, TimeSpan.FromSeconds(10));
        host.FakeModel!.Reset();

        var response = await StreamedResponse.PostJsonAsync(http, host.FunctionUrl, new { prompt = "#fault:stall@2 #tokens:10 wait for it" }, TimeSpan.FromSeconds(10));

        Assert.Equal(200, response.Status);
        var events = response.Events();
        Assert.Equal(2, events.Count(e => e.Type == "message"));
        Assert.Equal("error", events[^1].Type);
        Assert.Contains("Timeout", events[^1].Data, StringComparison.OrdinalIgnoreCase);
        // Ended by the function in time: the host never had to time the invocation out, and the function lives on.
        await host.Events.WaitForAsync(e => e.Kind == RuntimeEventKind.ResponseCompleted && e.RequestId == response.RequestId, TimeSpan.FromSeconds(5));
        Assert.DoesNotContain(host.Events.Snapshot(), e => e.Kind is RuntimeEventKind.InvocationTimedOut or RuntimeEventKind.FunctionExited);
        await host.FakeModel!.Requests.Single().Completed.WaitAsync(TimeSpan.FromSeconds(5)); // the stalled model call was dropped

        var next = await StreamedResponse.PostJsonAsync(http, host.FunctionUrl, new { prompt = "#tokens:3 still there?" }, TimeSpan.FromSeconds(10));
        Assert.Equal("done", next.Events()[^1].Type);
    }
}
