namespace BedrockStream.Function.Tests.EndToEnd;

/// <summary>RESPONSE_FORMAT=text (template option --format text): raw UTF-8 deltas.</summary>
[Collection(EndToEndCollection.Name)]
public sealed class TextFormatTests(TextHostFixture fixture)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(15);

    [Fact]
    public async Task Text_format_streams_the_raw_answer()
    {
        fixture.ResetModel(50);

        var response = await StreamedResponse.PostJsonAsync(fixture.Http, fixture.Host.FunctionUrl, new { prompt = "#tokens:12 plain text please" }, Timeout);

        Assert.Equal(200, response.Status);
        Assert.Equal("text/plain", response.MediaType);
        Assert.Equal("utf-8", response.ContentHeaders.ContentType?.CharSet);
        var model = Assert.Single(fixture.Model.Requests);
        Assert.Equal(model.AnswerText, response.Text);
        await model.Completed.WaitAsync(Timeout);
        var lastDelta = model.Frames.Last(f => f.Type == "contentBlockDelta").WrittenAt;
        Assert.True(response.Reads[0].At < lastDelta, "the first bytes arrived only after the model had finished: not streamed");
    }

    [Fact]
    public async Task Text_format_ends_with_an_error_line_after_a_mid_stream_failure()
    {
        fixture.ResetModel();

        var response = await StreamedResponse.PostJsonAsync(fixture.Http, fixture.Host.FunctionUrl, new { prompt = "#fault:stream-throttling@4 #tokens:10 go" }, Timeout);

        Assert.Equal(200, response.Status);
        var model = Assert.Single(fixture.Model.Requests);
        Assert.StartsWith(model.AnswerText, response.Text, StringComparison.Ordinal);
        Assert.True(response.Text.Length > model.AnswerText.Length, "no error line after the partial answer");
        await fixture.Host.Events.WaitForAsync(e => e.Kind == Local.RuntimeEventKind.TrailersReceived && e.RequestId == response.RequestId, Timeout);
    }
}
