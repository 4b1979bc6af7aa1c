using System.Text.Json;
using BedrockStream.Function.Tests.EndToEnd;

namespace BedrockStream.Function.Tests.OpenAi;

/// <summary>RESPONSE_FORMAT=openai through the local host (the real function, the fake Bedrock model): OpenAI's paths and chunks on the wire.</summary>
public sealed class OpenAiHostFixture : HostFixture
{
    protected override string ResponseFormat => "openai";

    // Streamed, so that the chunk writer is compiled before a test times it.
    protected override HttpRequestMessage WarmUpRequest() => new(HttpMethod.Post, new Uri(Host.FunctionUrl, "v1/chat/completions"))
    {
        Content = StreamedResponse.JsonContent(new { model = "any", stream = true, messages = new[] { new { role = "user", content = "#tokens:2 warm up" } } }),
    };
}

[Collection(EndToEndCollection.Name)]
public sealed class OpenAiEndToEndTests(OpenAiHostFixture fixture) : IClassFixture<OpenAiHostFixture>
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(15);

    private Uri Completions => new(fixture.Host.FunctionUrl, "v1/chat/completions");

    private static object Ask(string prompt, bool stream) =>
        new { model = "gpt-4o", stream, stream_options = new { include_usage = true }, messages = new[] { new { role = "user", content = prompt } } };

    private static string Content(IEnumerable<SseEvent> events) => string.Concat(events
        .Where(e => e.Data.StartsWith('{'))
        .Select(e => JsonDocument.Parse(e.Data).RootElement)
        .Where(c => c.TryGetProperty("choices", out var choices) && choices.GetArrayLength() > 0)
        .Select(c => c.GetProperty("choices")[0].GetProperty("delta").TryGetProperty("content", out var text) ? text.GetString() : ""));

    [Fact]
    public async Task Chunks_arrive_while_the_model_still_writes_and_end_with_usage_and_done()
    {
        fixture.ResetModel(50);

        var response = await StreamedResponse.PostJsonAsync(fixture.Http, Completions, Ask("#tokens:30 stream it", stream: true), Timeout);

        Assert.True(response.Status == 200, response.Text + fixture.RecentLog);
        Assert.Equal("text/event-stream", response.MediaType);
        var model = Assert.Single(fixture.Model.Requests);
        var events = response.Events();
        Assert.Equal(model.AnswerText, Content(events));
        Assert.Equal("[DONE]", events[^1].Data);
        Assert.Equal(JsonValueKind.Object, JsonDocument.Parse(events[^2].Data).RootElement.GetProperty("usage").ValueKind);
        await model.Completed.WaitAsync(Timeout);
        var lastDelta = model.Frames.Last(f => f.Type == "contentBlockDelta").WrittenAt;
        Assert.True(response.Reads[0].At < lastDelta, "the first chunk arrived only after the model had finished: not streamed");
    }

    [Fact]
    public async Task Without_stream_one_chat_completion_has_the_whole_answer()
    {
        fixture.ResetModel();

        var response = await StreamedResponse.PostJsonAsync(fixture.Http, Completions, new { model = "gpt-4o", messages = new[] { new { role = "user", content = "#tokens:8 whole" } } }, Timeout);

        Assert.Equal(200, response.Status);
        Assert.Equal("application/json", response.MediaType);
        var completion = JsonDocument.Parse(response.Text).RootElement;
        Assert.Equal("chat.completion", completion.GetProperty("object").GetString());
        Assert.Equal(Assert.Single(fixture.Model.Requests).AnswerText, completion.GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString());
        Assert.Equal("stop", completion.GetProperty("choices")[0].GetProperty("finish_reason").GetString());
    }

    [Fact]
    public async Task A_mid_stream_failure_is_a_last_error_event_without_done_and_lambda_gets_the_trailers()
    {
        fixture.ResetModel();

        var response = await StreamedResponse.PostJsonAsync(fixture.Http, Completions, Ask("#fault:stream-throttling@4 #tokens:10 go", stream: true), Timeout);

        Assert.Equal(200, response.Status);
        var events = response.Events();
        var error = JsonDocument.Parse(events[^1].Data).RootElement.GetProperty("error");
        Assert.Equal("rate_limit_error", error.GetProperty("type").GetString());
        Assert.DoesNotContain(events, e => e.Data == "[DONE]");
        Assert.False(string.IsNullOrEmpty(Content(events)), "nothing was streamed before the failure");
        await fixture.Host.Events.WaitForAsync(e => e.Kind == Local.RuntimeEventKind.TrailersReceived && e.RequestId == response.RequestId, Timeout);
    }

    [Fact]
    public async Task An_early_failure_keeps_its_status_in_OpenAIs_error_shape()
    {
        fixture.ResetModel();

        var response = await StreamedResponse.PostJsonAsync(fixture.Http, Completions, Ask("#fault:throttling go", stream: true), Timeout);

        Assert.Equal(429, response.Status);
        Assert.True(response.Headers.RetryAfter is not null, "no Retry-After");
        var error = JsonDocument.Parse(response.Text).RootElement.GetProperty("error");
        Assert.Equal("rate_limit_error", error.GetProperty("type").GetString());
        Assert.True(error.TryGetProperty("param", out _) && error.TryGetProperty("code", out _));
    }

    [Fact]
    public async Task Models_lists_the_configured_model()
    {
        using var response = await fixture.Http.GetAsync(new Uri(fixture.Host.FunctionUrl, "v1/models"));

        Assert.Equal(200, (int)response.StatusCode);
        var data = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("data");
        Assert.Equal(Local.LocalHost.DefaultModelId, Assert.Single(data.EnumerateArray()).GetProperty("id").GetString());
    }
}
