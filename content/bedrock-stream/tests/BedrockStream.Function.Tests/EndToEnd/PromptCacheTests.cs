namespace BedrockStream.Function.Tests.EndToEnd;

/// <summary>
/// Prompt caching end to end on Claude (PROMPT_CACHE=true): a system prompt above the model's minimum gets a cache
/// point, the first answer writes the cache and the next one reads it; the counts reach the done event.
/// </summary>
[Collection(EndToEndCollection.Name)]
public sealed class PromptCacheTests(ClaudeHostFixture fixture)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);

    private async Task<List<SseEvent>> AskAsync(string prompt)
    {
        var response = await StreamedResponse.PostJsonAsync(fixture.Http, fixture.Host.FunctionUrl, new { prompt }, Timeout);
        Assert.True(response.Status == 200, $"status {response.Status}: {response.Text}\n{fixture.RecentLog}");
        return [.. response.Events()];
    }

    [Fact]
    public async Task A_long_system_prompt_is_cached_written_once_then_read()
    {
        fixture.ResetModel();

        var first = await AskAsync("#tokens:3 hello");
        var second = await AskAsync("#tokens:3 hello again");

        var written = first[^1].Json;
        var read = second[^1].Json;
        Assert.True(written.GetProperty("cacheWriteInputTokens").GetInt32() > 1_500, written.GetRawText());
        Assert.Equal(0, written.GetProperty("cacheReadInputTokens").GetInt32());
        Assert.True(read.GetProperty("cacheReadInputTokens").GetInt32() > 1_500, read.GetRawText());
        Assert.Equal(0, read.GetProperty("cacheWriteInputTokens").GetInt32());
        var request = fixture.Model.Requests[0].Request!;
        Assert.True(request.SystemCachePoint);
        Assert.False(request.ToolsCachePoint);   // tools (if any) below the minimum: no cache point there
    }
}

/// <summary>Prompt caching on a model that does not cache: no cache point is sent (Bedrock would refuse it).</summary>
[Collection(EndToEndCollection.Name)]
public sealed class NoCacheModelTests(NoCacheHostFixture fixture)
{
    [Fact]
    public async Task A_model_without_prompt_caching_gets_no_cache_point_and_answers()
    {
        fixture.ResetModel();

        var response = await StreamedResponse.PostJsonAsync(fixture.Http, fixture.Host.FunctionUrl, new { prompt = "#tokens:3 hello" }, TimeSpan.FromSeconds(15));

        Assert.Equal(200, response.Status);
        var done = response.Events()[^1];
        Assert.Equal("done", done.Type);
        Assert.Equal((0, 0), (done.Json.GetProperty("cacheReadInputTokens").GetInt32(), done.Json.GetProperty("cacheWriteInputTokens").GetInt32()));
        var request = fixture.Model.Requests.Single().Request!;
        Assert.False(request.SystemCachePoint);
        Assert.NotEmpty(request.System);
    }
}
