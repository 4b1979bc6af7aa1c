using System.Buffers;
using System.Text.Json;

using BedrockStream.Function.Runtime;

namespace BedrockStream.Function;

/// <summary>An error answered before streaming starts: a status and the JSON body <c>{"error":{"type","message"}}</c>.</summary>
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

    public static HttpError Timeout() =>
        new(504, "Timeout", "The function's deadline was reached before the model finished.");

    public static HttpError ToolLoopLimit(int rounds) =>
        new(502, "ToolLoopLimit", $"The model kept calling tools: the answer was stopped after {rounds} tool rounds (MAX_TOOL_ROUNDS).");

    /// <summary>Sends the status, headers and JSON body as the whole response; returns the body's length.</summary>
    public ValueTask<int> WriteAsync(IHttpResponseStream response, CancellationToken cancellationToken) =>
        WriteAsync(response, ToJson(), cancellationToken);

    /// <summary>Sends the status, headers and <paramref name="body"/> (this error in another format's JSON shape) as the whole response.</summary>
    public async ValueTask<int> WriteAsync(IHttpResponseStream response, byte[] body, CancellationToken cancellationToken)
    {
        var headers = new List<KeyValuePair<string, string>>(Headers.Count + 1) { new("Content-Type", "application/json") };
        headers.AddRange(Headers);
        await response.StartAsync(StatusCode, headers, cancellationToken);
        await response.WriteAsync(body, cancellationToken);
        return body.Length;
    }

    /// <summary>Answers with this error as the whole response (<paramref name="body"/>: its JSON, by default <see cref="ToJson"/>) and records it in <paramref name="log"/>.</summary>
    public async ValueTask ReplyAsync(IHttpResponseStream response, InvocationLog log, CancellationToken cancellationToken, byte[]? body = null)
    {
        log.ErrorType ??= Type;
        log.ErrorMessage ??= Message;
        log.Status = StatusCode;
        log.BytesSent += await WriteAsync(response, body ?? ToJson(), cancellationToken);
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
