using System.Text;
using BedrockStream.Function.Local;

namespace BedrockStream.Function.Tests.EndToEnd;

/// <summary>
/// The real function behind a REST API front (<c>--front rest-api --auth API_KEY</c>): payload-1.0 events in, the same
/// streamed answer out (prelude, chunks as the model produces them, errors), the key checked before anything runs.
/// </summary>
[Collection(EndToEndCollection.Name)]
public sealed class RestApiFrontTests(RestApiHostFixture fixture)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(15);

    private Task<StreamedResponse> PostAsync(object body, bool withKey = true)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, fixture.Host.FunctionUrl) { Content = StreamedResponse.JsonContent(body) };
        return StreamedResponse.SendAsync(fixture.Http, withKey ? fixture.Prepare(request) : request, Timeout);
    }

    private int Invocations => fixture.Host.Events.Snapshot().Count(e => e.Kind == RuntimeEventKind.InvocationQueued);

    [Fact]
    public async Task With_the_key_the_answer_streams_while_the_model_produces_it()
    {
        const int tokens = 12;
        fixture.ResetModel(tokenRate: 40);   // one token every 25 ms

        var response = await PostAsync(new { prompt = $"#tokens:{tokens} Tell me about REST streaming" });

        Assert.Equal(200, response.Status);
        Assert.Equal("text/event-stream", response.MediaType);
        Assert.False(response.ContentLength.HasValue, "a streamed answer has no Content-Length");
        var events = response.Events();
        Assert.Equal(tokens, events.Count(e => e.Type == "message"));
        Assert.Equal("done", events[^1].Type);
        var model = Assert.Single(fixture.Model.Requests);
        Assert.Equal("Tell me about REST streaming", model.Prompt.Replace($"#tokens:{tokens} ", "", StringComparison.Ordinal));
        await model.Completed.WaitAsync(Timeout);
        var deltas = model.Frames.Where(f => f.Type == "contentBlockDelta").ToList();
        var firstText = events.First(e => e.Type == "message");
        Assert.True(firstText.At < deltas[^1].WrittenAt, "the first chunk arrived only after the model had finished: buffered, not streamed");
    }

    [Fact]
    public async Task A_get_with_the_prompt_in_the_query_streams()
    {
        fixture.ResetModel();

        var request = fixture.Prepare(new HttpRequestMessage(HttpMethod.Get, new Uri(fixture.Host.FunctionUrl, "/?prompt=%23tokens%3A3%20hello%20there")));
        var response = await StreamedResponse.SendAsync(fixture.Http, request, Timeout);

        Assert.Equal(200, response.Status);
        Assert.Equal(3, response.Events().Count(e => e.Type == "message"));
        Assert.Equal("hello there", Assert.Single(fixture.Model.Requests).Prompt.Replace("#tokens:3 ", "", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Without_the_key_the_front_answers_403_and_nothing_runs()
    {
        fixture.ResetModel();
        var before = Invocations;

        var response = await PostAsync(new { prompt = "hello" }, withKey: false);

        Assert.Equal(403, response.Status);
        Assert.Equal("{\"message\":\"Forbidden\"}", response.Text);
        Assert.Equal(before, Invocations);
        Assert.Equal(0, fixture.Model.RequestCount);
    }

    [Theory]
    [InlineData("{\"prompt\":\"\"}", 400)]
    [InlineData("{\"prompt\":", 400)]
    [InlineData("{\"maxTokens\":0,\"prompt\":\"x\"}", 400)]
    public async Task Bad_input_is_a_4xx_from_the_function_before_any_model_call(string body, int status)
    {
        fixture.ResetModel();
        var before = Invocations;

        var request = fixture.Prepare(new HttpRequestMessage(HttpMethod.Post, fixture.Host.FunctionUrl) { Content = new StringContent(body, Encoding.UTF8, "application/json") });
        var response = await StreamedResponse.SendAsync(fixture.Http, request, Timeout);

        Assert.Equal(status, response.Status);
        Assert.Equal("application/json", response.MediaType);
        Assert.Contains("\"type\":\"InvalidRequest\"", response.Text);
        Assert.Equal(before + 1, Invocations);   // the function answered it
        Assert.Equal(0, fixture.Model.RequestCount);
    }

    [Fact]
    public async Task Throttling_before_the_first_token_is_a_clean_429_with_retry_after()
    {
        fixture.ResetModel();

        var response = await PostAsync(new { prompt = "#fault:throttling-no-retry-after hello" });

        Assert.Equal(429, response.Status);
        Assert.NotNull(response.Headers.RetryAfter);
        Assert.Contains("\"type\":\"Throttling\"", response.Text);
    }

    [Fact]
    public async Task A_failure_after_the_first_token_is_an_error_event_and_the_next_answer_streams()
    {
        fixture.ResetModel();

        var response = await PostAsync(new { prompt = "#fault:stream-model-error@2 #tokens:10 more" });

        Assert.Equal(200, response.Status);
        var events = response.Events();
        Assert.Contains(events, e => e.Type == "message");
        Assert.Equal("error", events[^1].Type);
        Assert.DoesNotContain(events, e => e.Type == "done");
        await fixture.Host.Events.WaitForAsync(e => e.Kind == RuntimeEventKind.TrailersReceived && e.RequestId == response.RequestId, Timeout);

        var next = await PostAsync(new { prompt = "#tokens:2 still there?" });
        Assert.Equal(200, next.Status);
        Assert.Equal("done", next.Events()[^1].Type);
    }
}

/// <summary>
/// The real function behind a CloudFront front (<c>--front cloudfront</c>): a POST reaches it only with the SHA-256 of
/// its body in <c>x-amz-content-sha256</c>, as Origin Access Control makes Lambda require.
/// </summary>
[Collection(EndToEndCollection.Name)]
public sealed class CloudFrontFrontTests(CloudFrontHostFixture fixture)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(15);

    [Fact]
    public async Task A_post_with_its_body_hash_streams()
    {
        fixture.ResetModel();

        var request = fixture.Prepare(new HttpRequestMessage(HttpMethod.Post, fixture.Host.FunctionUrl) { Content = StreamedResponse.JsonContent(new { prompt = "#tokens:5 hi" }) });
        var response = await StreamedResponse.SendAsync(fixture.Http, request, Timeout);

        Assert.Equal(200, response.Status);
        Assert.Equal(5, response.Events().Count(e => e.Type == "message"));
        Assert.Equal("done", response.Events()[^1].Type);
    }

    [Fact]
    public async Task A_post_without_its_body_hash_is_403_and_nothing_runs()
    {
        fixture.ResetModel();
        var before = fixture.Host.Events.Snapshot().Count(e => e.Kind == RuntimeEventKind.InvocationQueued);

        var response = await StreamedResponse.PostJsonAsync(fixture.Http, fixture.Host.FunctionUrl, new { prompt = "#tokens:5 hi" }, Timeout);

        Assert.Equal(403, response.Status);
        Assert.Contains("signature", response.Text);
        Assert.Equal(before, fixture.Host.Events.Snapshot().Count(e => e.Kind == RuntimeEventKind.InvocationQueued));
        Assert.Equal(0, fixture.Model.RequestCount);
    }
}
