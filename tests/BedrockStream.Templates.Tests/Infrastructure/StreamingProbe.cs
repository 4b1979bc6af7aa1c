using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text;

namespace BedrockStream.Templates.Tests.Infrastructure;

/// <summary>What an HTTP client saw of a streamed response, read by read, with arrival times.</summary>
public sealed record StreamedResponse(
    int Status,
    string? ContentType,
    IReadOnlyList<(TimeSpan At, string Text)> Reads,
    IReadOnlyDictionary<string, string> Headers)
{
    public string Body => string.Concat(Reads.Select(r => r.Text));

    /// <summary>Time between the first and the last read that carried bytes.</summary>
    public TimeSpan Spread => Reads.Count < 2 ? TimeSpan.Zero : Reads[^1].At - Reads[0].At;

    /// <summary>The body's Server-Sent Events: name (<c>message</c> when unnamed) and data, in order.</summary>
    public IReadOnlyList<(string Name, System.Text.Json.JsonElement Data)> Events() =>
        Body.Split("\n\n", StringSplitOptions.RemoveEmptyEntries)
            .Select(block => block.Split('\n'))
            .Where(lines => lines.Any(l => l.StartsWith("data: ", StringComparison.Ordinal)))
            .Select(lines => (
                lines.FirstOrDefault(l => l.StartsWith("event: ", StringComparison.Ordinal))?["event: ".Length..] ?? "message",
                System.Text.Json.JsonDocument.Parse(lines.Single(l => l.StartsWith("data: ", StringComparison.Ordinal))["data: ".Length..]).RootElement.Clone()))
            .ToList();
}

/// <summary>Posts a prompt and records how the answer arrives.</summary>
public static class StreamingProbe
{
    /// <param name="onRead">Called with the body so far after each read, before the next (a test can answer the function through it).</param>
    /// <param name="json">The JSON body; by default the function's own request, <c>{"prompt"}</c>.</param>
    /// <param name="requestHeaders">More request headers (a REST API's <c>x-api-key</c>).</param>
    public static async Task<StreamedResponse> PostAsync(Uri url, string prompt, TimeSpan timeout, Action<string>? onRead = null, object? json = null,
        IEnumerable<KeyValuePair<string, string>>? requestHeaders = null)
    {
        using var client = new HttpClient { Timeout = timeout };
        using var request = new HttpRequestMessage(HttpMethod.Post, url)
        {
            Content = new StringContent(System.Text.Json.JsonSerializer.Serialize(json ?? new { prompt }), Encoding.UTF8, "application/json"),
        };
        foreach (var (name, value) in requestHeaders ?? [])
            request.Headers.Add(name, value);
        var clock = Stopwatch.StartNew();
        using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        await using var body = await response.Content.ReadAsStreamAsync();
        var reads = new List<(TimeSpan, string)>();
        var decoder = Encoding.UTF8.GetDecoder();
        var buffer = new byte[16384];
        var chars = new char[Encoding.UTF8.GetMaxCharCount(buffer.Length)];
        int read;
        while ((read = await body.ReadAsync(buffer)) > 0)
        {
            var count = decoder.GetChars(buffer, 0, read, chars, 0);
            reads.Add((clock.Elapsed, new string(chars, 0, count)));
            onRead?.Invoke(string.Concat(reads.Select(r => r.Item2)));
        }
        MediaTypeHeaderValue? type = response.Content.Headers.ContentType;
        var headers = response.Headers.Concat(response.Content.Headers)
            .ToDictionary(h => h.Key, h => string.Join(", ", h.Value), StringComparer.OrdinalIgnoreCase);
        return new StreamedResponse((int)response.StatusCode, type?.ToString(), reads, headers);
    }
}
