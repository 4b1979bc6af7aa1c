using System.Text.Json;
using BedrockStream.Function.Local;

namespace BedrockStream.Function.Tests.EndToEnd;

/// <summary>The model's reasoning, end to end: streamed as <c>event: reasoning</c> before the answer, while the model thinks.</summary>
[Collection(EndToEndCollection.Name)]
public sealed class ReasoningTests(SseHostFixture fixture)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(15);

    [Fact]
    public async Task Reasoning_streams_as_its_own_events_before_the_answer_while_the_model_thinks()
    {
        fixture.ResetModel(tokenRate: 40);

        var response = await StreamedResponse.PostJsonAsync(fixture.Http, fixture.Host.FunctionUrl, new { prompt = "#reason:10 #tokens:4 Why is the sky blue?" }, Timeout);

        Assert.Equal(200, response.Status);
        var events = response.Events().ToList();
        var reasoning = events.Where(e => e.Type == "reasoning").ToList();
        var text = events.Where(e => e.Type == "message").ToList();
        Assert.Equal(FakeAnswer.Reasoning(10), reasoning.Select(e => e.Json.GetProperty("reasoning").GetString()));
        Assert.Equal(4, text.Count);
        Assert.True(events.IndexOf(reasoning[^1]) < events.IndexOf(text[0]), "reasoning must come before the answer");
        Assert.All(reasoning, e => Assert.False(e.Json.TryGetProperty("text", out _), "reasoning must not use the answer's key"));

        // The model signed its reasoning; the caller got the text, not the signature.
        var model = Assert.Single(fixture.Model.Requests);
        await model.Completed.WaitAsync(Timeout);
        Assert.Single(model.Frames, f => f.Type == "contentBlockDelta" && f.Text is null);   // the signature delta
        Assert.DoesNotContain("signature", response.Text, StringComparison.OrdinalIgnoreCase);

        // Streamed, not buffered: the first reasoning delta reached the client before the model wrote its answer.
        var firstAnswerFrame = model.Frames.First(f => f.Text == "Fake");
        Assert.True(reasoning[0].At < firstAnswerFrame.WrittenAt, "reasoning arrived only after the model had finished thinking");
    }

    [Fact]
    public async Task Encrypted_reasoning_is_reported_without_its_content()
    {
        fixture.ResetModel();

        var response = await StreamedResponse.PostJsonAsync(fixture.Http, fixture.Host.FunctionUrl, new { prompt = "#redacted #tokens:2 hi" }, Timeout);

        var first = response.Events()[0];
        Assert.Equal(("reasoning", """{"redacted":true}"""), (first.Type, first.Data));
    }

    [Fact]
    public async Task Done_counts_the_reasoning_in_the_output_tokens_and_the_log_has_no_reasoning_text()
    {
        fixture.ResetModel();

        var response = await StreamedResponse.PostJsonAsync(fixture.Http, fixture.Host.FunctionUrl, new { prompt = "#reason:6 #tokens:3 hi" }, Timeout);

        var done = response.Events()[^1];
        Assert.Equal("done", done.Type);
        Assert.Equal(9, done.Json.GetProperty("outputTokens").GetInt32());
        Assert.Equal(JsonValueKind.Number, done.Json.GetProperty("cacheReadInputTokens").ValueKind);
        await fixture.Host.Events.WaitForAsync(e => e.Kind == RuntimeEventKind.ResponseCompleted && e.RequestId == response.RequestId, Timeout);
        Assert.DoesNotContain("asks about this", fixture.RecentLog, StringComparison.Ordinal);
    }
}
