using System.Net.Sockets;
using System.Text;

namespace BedrockStream.Function.Tests.EndToEnd;

/// <summary>
/// The test playing the function against the Runtime API emulator: <c>/next</c> with HttpClient, and the
/// streamed <c>/response</c> written by hand over a socket, because HttpClient cannot send trailers
/// (https://docs.aws.amazon.com/lambda/latest/dg/runtimes-custom.html#runtimes-custom-response-streaming). Lets a test produce exactly the bytes it wants, including broken ones.
/// </summary>
public sealed class ScriptedFunction(Uri runtimeApi) : IDisposable
{
    private readonly HttpClient _http = new() { BaseAddress = runtimeApi, Timeout = TimeSpan.FromSeconds(20) };

    public sealed record Next(string RequestId, IReadOnlyDictionary<string, string> Headers, string Event);

    public async Task<Next> NextAsync()
    {
        using var response = await _http.GetAsync("2018-06-01/runtime/invocation/next");
        response.EnsureSuccessStatusCode();
        var headers = response.Headers.ToDictionary(h => h.Key, h => string.Join(",", h.Value), StringComparer.OrdinalIgnoreCase);
        return new Next(headers["Lambda-Runtime-Aws-Request-Id"], headers, await response.Content.ReadAsStringAsync());
    }

    public async Task<int> PostAsync(string path, string body, params (string Name, string Value)[] headers)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "2018-06-01/runtime/" + path) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        foreach (var (name, value) in headers) request.Headers.TryAddWithoutValidation(name, value);
        using var response = await _http.SendAsync(request);
        return (int)response.StatusCode;
    }

    /// <summary>Opens a streaming <c>/response</c>; write chunks on the returned stream.</summary>
    public async Task<StreamingPost> StartStreamingAsync(string requestId, string contentType = "application/vnd.awslambda.http-integration-response")
    {
        var tcp = new TcpClient { NoDelay = true };
        await tcp.ConnectAsync(runtimeApi.Host, runtimeApi.Port);
        var post = new StreamingPost(tcp);
        await post.WriteRawAsync(
            $"POST /2018-06-01/runtime/invocation/{requestId}/response HTTP/1.1\r\nHost: {runtimeApi.Authority}\r\n" +
            $"Content-Type: {contentType}\r\nLambda-Runtime-Function-Response-Mode: streaming\r\nTransfer-Encoding: chunked\r\n" +
            "Trailer: Lambda-Runtime-Function-Error-Type, Lambda-Runtime-Function-Error-Body\r\n\r\n");
        return post;
    }

    public void Dispose() => _http.Dispose();

    public sealed class StreamingPost(TcpClient tcp) : IDisposable
    {
        private readonly NetworkStream _stream = tcp.GetStream();

        public static byte[] Prelude(string json) => [.. Encoding.UTF8.GetBytes(json), .. new byte[8]];

        public Task WriteRawAsync(string text) => WriteRawAsync(Encoding.UTF8.GetBytes(text));

        public async Task WriteRawAsync(byte[] bytes)
        {
            await _stream.WriteAsync(bytes);
            await _stream.FlushAsync();
        }

        public Task WriteChunkAsync(string text) => WriteChunkAsync(Encoding.UTF8.GetBytes(text));

        public async Task WriteChunkAsync(byte[] data) =>
            await WriteRawAsync([.. Encoding.ASCII.GetBytes($"{data.Length:x}\r\n"), .. data, .. "\r\n"u8.ToArray()]);

        /// <summary>Ends the body, with the error trailers when <paramref name="errorType"/> is given; returns the emulator's status line.</summary>
        public async Task<string> EndAsync(string? errorType = null, string? errorBody = null)
        {
            var end = errorType is null
                ? "0\r\n\r\n"
                : $"0\r\nLambda-Runtime-Function-Error-Type: {errorType}\r\nLambda-Runtime-Function-Error-Body: {Convert.ToBase64String(Encoding.UTF8.GetBytes(errorBody ?? ""))}\r\n\r\n";
            await WriteRawAsync(end);
            return await ReadStatusLineAsync();
        }

        public async Task<string> ReadStatusLineAsync()
        {
            var buffer = new byte[4096];
            var text = new StringBuilder();
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            try
            {
                while (!text.ToString().Contains("\r\n", StringComparison.Ordinal))
                {
                    var n = await _stream.ReadAsync(buffer, cts.Token);
                    if (n == 0) break;
                    text.Append(Encoding.ASCII.GetString(buffer, 0, n));
                }
            }
            catch (IOException)
            {
                return "(connection reset)";
            }
            var s = text.ToString();
            return s.Length == 0 ? "(connection closed)" : s[..s.IndexOf('\r', StringComparison.Ordinal)];
        }

        public void Dispose() => tcp.Dispose();
    }
}
