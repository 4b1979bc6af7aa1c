using System.Diagnostics;
using System.Net;
using System.Text;

namespace BedrockStream.Benchmark;

/// <summary>One streamed answer as the HTTP client saw it (<see cref="Stopwatch"/> timestamps).</summary>
internal sealed record StreamedResponse(int Status, string? RequestId, long HeadersAt, long LastByteAt, long Bytes, long[] EventAt, int Events, bool Done);

/// <summary>
/// The caller of the Function URL: posts a prompt, reads the body as it streams, and stamps the arrival of each
/// SSE event (the read that completed its blank line), the way a browser's EventSource would see it.
/// </summary>
internal sealed class StreamingClient(Uri functionUrl) : IDisposable
{
    private static readonly byte[] DoneMarker = "event: done"u8.ToArray();
    private readonly HttpClient _http = new(new SocketsHttpHandler { UseCookies = false, AutomaticDecompression = DecompressionMethods.None })
    {
        Timeout = TimeSpan.FromMinutes(2),
    };
    private readonly byte[] _buffer = new byte[256 * 1024];

    public async Task<StreamedResponse> PostAsync(string prompt, int eventsToStamp = 0)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, functionUrl)
        {
            Content = new StringContent($$"""{"prompt":"{{prompt}}"}""", Encoding.UTF8, "application/json"),
        };
        using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        var headersAt = Stopwatch.GetTimestamp();
        var requestId = response.Headers.TryGetValues("x-amzn-RequestId", out var ids) ? ids.First() : null;
        await using var body = await response.Content.ReadAsStreamAsync();

        var eventAt = new long[eventsToStamp];
        int events = 0, read;
        long bytes = 0, lastAt = headersAt;
        byte previous = 0;
        var done = false;
        while ((read = await body.ReadAsync(_buffer)) > 0)
        {
            lastAt = Stopwatch.GetTimestamp();
            bytes += read;
            var span = _buffer.AsSpan(0, read);
            // Each "\n\n" ends an SSE event; IndexOf is vectorised, so 64 KB deltas cost little to scan.
            for (int from = 0, at; (at = span[from..].IndexOf((byte)'\n')) >= 0; from += at + 1)
            {
                var end = from + at;
                if ((end == 0 ? previous : span[end - 1]) != '\n') continue;
                if (events < eventAt.Length) eventAt[events] = lastAt;
                events++;
            }
            previous = span[^1];
            done |= span.IndexOf(DoneMarker) >= 0;
        }
        return new StreamedResponse((int)response.StatusCode, requestId, headersAt, lastAt, bytes, eventAt, events, done);
    }

    public void Dispose() => _http.Dispose();
}
