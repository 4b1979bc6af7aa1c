using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace BedrockStream.Function.Tests.EndToEnd;

/// <summary>One read of the response body, stamped with <see cref="Stopwatch.GetTimestamp"/> when it returned.</summary>
public readonly record struct TimedRead(long At, byte[] Bytes);

/// <summary>One server-sent event: its type (<c>message</c> when absent), data, and the read that completed it.</summary>
public sealed record SseEvent(string Type, string Data, long At)
{
    public JsonElement Json => JsonDocument.Parse(Data).RootElement.Clone();
}

/// <summary>A streamed HTTP response read incrementally, as a browser or <c>curl -N</c> would.</summary>
public sealed class StreamedResponse
{
    public required int Status { get; init; }
    public required HttpResponseHeaders Headers { get; init; }
    public required HttpContentHeaders ContentHeaders { get; init; }
    public required long HeadersAt { get; init; }
    /// <summary>The Content-Length header, if the server sent one (a streamed answer does not).</summary>
    public required long? ContentLength { get; init; }
    public required IReadOnlyList<TimedRead> Reads { get; init; }
    /// <summary>Set when the connection broke instead of ending cleanly (a Function URL may do either on a mid-stream error).</summary>
    public Exception? Broken { get; init; }

    public string RequestId => Headers.TryGetValues("x-amzn-RequestId", out var v) ? v.First() : "";
    public string MediaType => ContentHeaders.ContentType?.MediaType ?? "";
    public byte[] Body => Reads.SelectMany(r => r.Bytes).ToArray();
    public string Text => Encoding.UTF8.GetString(Body);

    /// <summary>Parses the body as SSE (blank-line separated events, <c>event:</c> and <c>data:</c> fields).</summary>
    public IReadOnlyList<SseEvent> Events()
    {
        var events = new List<SseEvent>();
        var pending = new StringBuilder();
        var decoder = Encoding.UTF8.GetDecoder();
        foreach (var read in Reads)
        {
            var chars = new char[decoder.GetCharCount(read.Bytes, false)];
            decoder.GetChars(read.Bytes, chars, false);
            pending.Append(chars);
            var text = pending.ToString().Replace("\r\n", "\n", StringComparison.Ordinal);
            int cut;
            while ((cut = text.IndexOf("\n\n", StringComparison.Ordinal)) >= 0)
            {
                var block = text[..cut];
                text = text[(cut + 2)..];
                string type = "message", data = "";
                foreach (var line in block.Split('\n'))
                {
                    if (line.StartsWith("event:", StringComparison.Ordinal)) type = line[6..].Trim();
                    else if (line.StartsWith("data:", StringComparison.Ordinal)) data += (data.Length > 0 ? "\n" : "") + line[5..].TrimStart(' ');
                }
                if (block.Length > 0) events.Add(new SseEvent(type, data, read.At));
            }
            pending.Clear().Append(text);
        }
        return events;
    }

    public static Task<StreamedResponse> PostJsonAsync(HttpClient http, Uri url, object body, TimeSpan timeout) =>
        SendAsync(http, new HttpRequestMessage(HttpMethod.Post, url) { Content = JsonContent(body) }, timeout);

    public static StringContent JsonContent(object body) => new(JsonSerializer.Serialize(body), Encoding.UTF8, "application/json");

    /// <summary>Sends and reads the body to its end, recording each read; bounded by <paramref name="timeout"/>.</summary>
    public static async Task<StreamedResponse> SendAsync(HttpClient http, HttpRequestMessage request, TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cts.Token);
        var headersAt = Stopwatch.GetTimestamp();
        var contentLength = response.Content.Headers.TryGetValues("Content-Length", out var lengths) ? long.Parse(lengths.First(), System.Globalization.CultureInfo.InvariantCulture) : (long?)null;
        var reads = new List<TimedRead>();
        Exception? broken = null;
        await using var stream = await response.Content.ReadAsStreamAsync(cts.Token);
        var buffer = new byte[64 * 1024];
        try
        {
            while (true)
            {
                var n = await stream.ReadAsync(buffer, cts.Token);
                if (n == 0) break;
                reads.Add(new TimedRead(Stopwatch.GetTimestamp(), buffer[..n]));
            }
        }
        catch (Exception ex) when (ex is HttpRequestException or IOException)
        {
            broken = ex;
        }
        return new StreamedResponse
        {
            Status = (int)response.StatusCode,
            Headers = response.Headers,
            ContentHeaders = response.Content.Headers,
            HeadersAt = headersAt,
            ContentLength = contentLength,
            Reads = reads,
            Broken = broken,
        };
    }

    public static double Ms(long from, long to) => Stopwatch.GetElapsedTime(from, to).TotalMilliseconds;
}
