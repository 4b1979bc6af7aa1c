using System.Diagnostics;
using Xunit.Abstractions;

namespace BedrockStream.Function.Tests.EndToEnd;

/// <summary>The happy path through the real function: streamed while the model produces, framed as SSE.</summary>
[Collection(EndToEndCollection.Name)]
public sealed class StreamingTests(SseHostFixture fixture, ITestOutputHelper output)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(15);

    [Fact]
    public async Task Chunks_reach_the_client_while_the_model_is_still_producing()
    {
        const int tokens = 20;
        const double rate = 20; // one token every 50 ms: the model needs ~950 ms for the answer
        fixture.ResetModel(rate);

        var response = await StreamedResponse.PostJsonAsync(fixture.Http, fixture.Host.FunctionUrl, new { prompt = $"#tokens:{tokens} Tell me about streaming" }, Timeout);

        Assert.Equal(200, response.Status);
        var model = Assert.Single(fixture.Model.Requests);
        await model.Completed.WaitAsync(Timeout);
        var deltas = model.Frames.Where(f => f.Type == "contentBlockDelta").ToList();
        Assert.Equal(tokens, deltas.Count);
        var textEvents = response.Events().Where(e => e.Type == "message").ToList();
        Assert.Equal(tokens, textEvents.Count);

        // Token i left the fake model at deltas[i].WrittenAt and was complete at the client at textEvents[i].At.
        var latencies = deltas.Zip(textEvents, (d, e) => StreamedResponse.Ms(d.WrittenAt, e.At)).ToList();
        var modelSpread = StreamedResponse.Ms(deltas[0].WrittenAt, deltas[^1].WrittenAt);
        var clientSpread = StreamedResponse.Ms(textEvents[0].At, textEvents[^1].At);
        var sorted = latencies.Order().ToList();
        output.WriteLine($"model spread {modelSpread:0.0} ms, client spread {clientSpread:0.0} ms, reads {response.Reads.Count}");
        output.WriteLine($"per-token model->client latency: p50 {sorted[sorted.Count / 2]:0.00} ms, max {sorted[^1]:0.00} ms, first {latencies[0]:0.00} ms");

        // The first token reached the client long before the model wrote its last one: streamed, not buffered.
        Assert.True(textEvents[0].At < deltas[^1].WrittenAt, "the first chunk arrived only after the model had finished");
        Assert.True(StreamedResponse.Ms(textEvents[0].At, deltas[^1].WrittenAt) > modelSpread * 0.6,
            $"the first chunk arrived {StreamedResponse.Ms(textEvents[0].At, deltas[^1].WrittenAt):0} ms before the model's last token; expected most of the {modelSpread:0} ms");
        // The client sees the model's pacing, not one burst at the end.
        Assert.InRange(clientSpread, modelSpread * 0.7, modelSpread + 500);
        // Most tokens were at the client before the model wrote its last one (a buffering relay delivers none).
        // Counted per token rather than per read, so a machine too busy to read every chunk separately still passes.
        var early = textEvents.Count(e => e.At < deltas[^1].WrittenAt);
        Assert.True(early >= tokens / 2, $"only {early} of {tokens} tokens reached the client before the model's last token");
        // Typically a token got through before the next one was due (generous bound: shared CI machines).
        Assert.True(sorted[sorted.Count / 2] < 50, $"median model->client latency {sorted[sorted.Count / 2]:0.0} ms");
    }

    [Fact]
    public async Task Prelude_gives_status_and_event_stream_headers()
    {
        fixture.ResetModel();

        var response = await StreamedResponse.PostJsonAsync(fixture.Http, fixture.Host.FunctionUrl, new { prompt = "#tokens:3 hi" }, Timeout);

        Assert.Equal(200, response.Status);
        Assert.Equal("text/event-stream", response.MediaType);
        Assert.False(string.IsNullOrEmpty(response.RequestId));
        Assert.False(response.ContentLength.HasValue, "a streamed answer has no Content-Length");
        var started = await fixture.Host.Events.WaitForAsync(e => e.Kind == Local.RuntimeEventKind.ResponseStarted && e.RequestId == response.RequestId, Timeout);
        Assert.Equal(200, started.StatusCode);
    }

    [Fact]
    public async Task Sse_framing_carries_every_delta_and_ends_with_done()
    {
        fixture.ResetModel();

        var response = await StreamedResponse.PostJsonAsync(fixture.Http, fixture.Host.FunctionUrl, new { prompt = "#tokens:30 Stream some multi-byte text, please" }, Timeout);

        Assert.Equal(200, response.Status);
        Assert.Null(response.Broken);
        var events = response.Events();
        var model = Assert.Single(fixture.Model.Requests);
        Assert.Equal("Stream some multi-byte text, please", model.Prompt.Replace("#tokens:30 ", "", StringComparison.Ordinal));

        // data: {"text": "..."} per delta, in order, and nothing lost or mangled (multi-byte UTF-8 included).
        var texts = events.Where(e => e.Type == "message").Select(e => e.Json.GetProperty("text").GetString()).ToList();
        Assert.Equal(30, texts.Count);
        Assert.Equal(model.AnswerText, string.Concat(texts));
        Assert.Contains("日本語", model.AnswerText);

        // Last event: done, with the stop reason.
        var done = events[^1];
        Assert.Equal("done", done.Type);
        Assert.Contains("end_turn", done.Data);
        Assert.DoesNotContain(events, e => e.Type == "error");
        await fixture.Host.Events.WaitForAsync(e => e.Kind == Local.RuntimeEventKind.ResponseCompleted && e.RequestId == response.RequestId, Timeout);
        Assert.DoesNotContain(fixture.Host.Events.Snapshot(), e => e.Kind == Local.RuntimeEventKind.TrailersReceived && e.RequestId == response.RequestId);
    }

    [Fact]
    public async Task Get_with_a_prompt_query_streams_for_EventSource_clients()
    {
        fixture.ResetModel();

        var url = new Uri(fixture.Host.FunctionUrl, "?prompt=" + Uri.EscapeDataString("#tokens:4 hello from EventSource"));
        var response = await StreamedResponse.SendAsync(fixture.Http, new HttpRequestMessage(HttpMethod.Get, url), Timeout);

        Assert.Equal(200, response.Status);
        Assert.Equal("done", response.Events()[^1].Type);
        Assert.Equal(1, fixture.Model.RequestCount);
    }

    [Fact]
    public async Task Invocations_queue_and_run_one_at_a_time()
    {
        fixture.ResetModel(100);

        var first = StreamedResponse.PostJsonAsync(fixture.Http, fixture.Host.FunctionUrl, new { prompt = "#tokens:15 first" }, Timeout);
        var second = StreamedResponse.PostJsonAsync(fixture.Http, fixture.Host.FunctionUrl, new { prompt = "#tokens:15 second" }, Timeout);
        var responses = await Task.WhenAll(first, second);

        Assert.All(responses, r => Assert.Equal("done", r.Events()[^1].Type));
        var events = fixture.Host.Events.Snapshot();
        var (a, b) = (responses[0].RequestId, responses[1].RequestId);
        var handedOut = events.Where(e => e.Kind == Local.RuntimeEventKind.InvocationHandedOut && (e.RequestId == a || e.RequestId == b)).ToList();
        Assert.Equal(2, handedOut.Count);
        var firstDone = events.Single(e => e.Kind == Local.RuntimeEventKind.ResponseCompleted && e.RequestId == handedOut[0].RequestId);
        Assert.True(firstDone.Timestamp < handedOut[1].Timestamp, "the second invocation was handed out before the first one finished");
    }

    [Fact]
    public async Task Client_disconnect_aborts_the_function_stream_and_the_function_recovers()
    {
        fixture.ResetModel(20);

        string requestId;
        using (var cts = new CancellationTokenSource(Timeout))
        {
            var request = new HttpRequestMessage(HttpMethod.Post, fixture.Host.FunctionUrl) { Content = StreamedResponse.JsonContent(new { prompt = "#tokens:200 a long answer" }) };
            using var response = await fixture.Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cts.Token);
            requestId = response.Headers.GetValues("x-amzn-RequestId").First();
            await using var stream = await response.Content.ReadAsStreamAsync(cts.Token);
            var buffer = new byte[1024];
            Assert.True(await stream.ReadAsync(buffer, cts.Token) > 0);
        } // disposing the response closes the connection mid-stream

        await fixture.Host.Events.WaitForAsync(e => e.Kind == Local.RuntimeEventKind.ClientDisconnected && e.RequestId == requestId, Timeout);
        var model = await fixture.Model.WaitForRequestAsync(1, Timeout);
        await model.Completed.WaitAsync(Timeout); // the function stopped reading the model (its writes failed)
        Assert.True(model.Frames.Count(f => f.Type == "contentBlockDelta") < 200, "the model kept streaming the whole answer to nobody");

        // The next invocation is served normally.
        fixture.Model.TokenRate = 0;
        var next = await StreamedResponse.PostJsonAsync(fixture.Http, fixture.Host.FunctionUrl, new { prompt = "#tokens:3 again" }, Timeout);
        Assert.Equal(200, next.Status);
        Assert.Equal("done", next.Events()[^1].Type);
    }
}
