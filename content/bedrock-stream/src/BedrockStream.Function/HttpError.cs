using System.Buffers;
using System.Text.Json;

using BedrockStream.Function.Runtime;

namespace BedrockStream.Function;

/// <summary>
/// An answer given instead of the model's, before streaming starts: an error (a status and the JSON body
/// <c>{"error":{"type","message"}}</c>), or the 204 of a CORS preflight (<see cref="CorsPreflight"/>, no body).
/// </summary>
/// <param name="StatusCode">The HTTP status.</param>
/// <param name="Type">A short PascalCase error type, e.g. <c>InvalidRequest</c>.</param>
/// <param name="Message">A message for the caller; never contains the prompt or internal details.</param>
public sealed record HttpError(int StatusCode, string Type, string Message)
{
    /// <summary>Headers sent besides <c>Content-Type</c> (e.g. <c>Allow</c>, <c>Retry-After</c>).</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Headers { get; init; } = [];

    /// <summary>The request field at fault, when one is (OpenAI's error shape names it).</summary>
    public string? Param { get; init; }

    public static HttpError InvalidRequest(string message) => new(400, "InvalidRequest", message);

    public static HttpError PayloadTooLarge(int limit) =>
        new(413, "PayloadTooLarge", $"The request body is larger than {limit} bytes.");

    public static HttpError UnsupportedMediaType(string contentType) =>
        new(415, "UnsupportedMediaType", $"Content-Type '{contentType}' is not supported: send application/json or text/plain.");

    public static HttpError MethodNotAllowed(string method) =>
        new(405, "MethodNotAllowed", $"Method {method} is not allowed: use POST, or GET with ?prompt=.")
        {
            Headers = [new("Allow", "GET, POST")],
        };

    /// <summary>
    /// A browser's CORS preflight (<c>OPTIONS</c>) when <c>CORS_ALLOW_ORIGIN</c> is set: 204, and what it may send
    /// (https://fetch.spec.whatwg.org/#http-cors-protocol). <c>Access-Control-Allow-Origin</c> comes with every response.
    /// </summary>
    public static HttpError CorsPreflight() =>
        new(204, "CorsPreflight", "")
        {
            Headers =
            [
                new("Access-Control-Allow-Methods", "GET, POST, OPTIONS"),
                new("Access-Control-Allow-Headers", "content-type, x-api-key, authorization, x-amz-date, x-amz-security-token, x-amz-content-sha256"),
                new("Access-Control-Max-Age", "300"),
            ],
        };

    /// <summary>True for a 4xx or 5xx, false for the preflight's 204.</summary>
    public bool IsError => StatusCode >= 400;

    public static HttpError Timeout() =>
        new(504, "Timeout", "The function's deadline was reached before the model finished.");

    public static HttpError ToolLoopLimit(int rounds) =>
        new(502, "ToolLoopLimit", $"The model kept calling tools: the answer was stopped after {rounds} tool rounds (MAX_TOOL_ROUNDS).");

    /// <summary>
    /// Sends the status, headers (then <paramref name="moreHeaders"/>) and JSON body (<paramref name="body"/>: this error
    /// in another format's shape; by default <see cref="ToJson"/>) as the whole response; returns the body's length.
    /// </summary>
    public async ValueTask<int> WriteAsync(IHttpResponseStream response, IReadOnlyList<KeyValuePair<string, string>> moreHeaders, CancellationToken cancellationToken, byte[]? body = null)
    {
        var headers = new List<KeyValuePair<string, string>>(Headers.Count + moreHeaders.Count + 1);
        if (IsError)
            headers.Add(new("Content-Type", "application/json"));
        headers.AddRange(Headers);
        headers.AddRange(moreHeaders);
        await response.StartAsync(StatusCode, headers, cancellationToken);
        if (!IsError)
            return 0;
        body ??= ToJson();
        await response.WriteAsync(body, cancellationToken);
        return body.Length;
    }

    /// <summary>Answers with this error (or preflight) as the whole response, as <see cref="WriteAsync"/> does, and records it in <paramref name="log"/>.</summary>
    public async ValueTask ReplyAsync(IHttpResponseStream response, InvocationLog log, IReadOnlyList<KeyValuePair<string, string>> moreHeaders, CancellationToken cancellationToken, byte[]? body = null)
    {
        if (IsError)
            RecordIn(log);
        log.Status = StatusCode;
        log.BytesSent += await WriteAsync(response, moreHeaders, cancellationToken, body);
    }

    /// <summary>Records this error as the invocation's, unless an earlier one was recorded.</summary>
    public void RecordIn(InvocationLog log)
    {
        log.ErrorType ??= Type;
        log.ErrorMessage ??= Message;
    }

    /// <summary>The body: <c>{"error":{"type":..,"message":..}}</c>.</summary>
    public byte[] ToJson()
    {
        var buffer = new ArrayBufferWriter<byte>(128 + Message.Length);
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = JsonFraming.Encoder }))
        {
            json.WriteStartObject();
            json.WriteStartObject("error");
            json.WriteString("type", Type);
            json.WriteString("message", Message);
            json.WriteEndObject();
            json.WriteEndObject();
        }
        return buffer.WrittenSpan.ToArray();
    }
}
