using System.Text;
using System.Text.Json;

namespace BedrockStream.Function.Local;

/// <summary>Status, headers and cookies of a Function URL response, from a prelude or a buffered answer.</summary>
/// <param name="NonStringHeaders">Names in <c>headers</c> whose value was not a JSON string (a REST API fails on those).</param>
internal sealed record HttpResponseHead(int StatusCode, IReadOnlyList<KeyValuePair<string, string>> Headers, IReadOnlyList<string> Cookies)
{
    public IReadOnlyList<string> NonStringHeaders { get; init; } = [];
}

/// <summary>
/// Parses what the function sends for a Function URL: the streaming prelude (https://docs.aws.amazon.com/apigateway/latest/developerguide/response-transfer-mode-lambda.html:
/// JSON + 8 NUL bytes, then the body) and the buffered format <c>{statusCode, headers, body, isBase64Encoded}</c>.
/// </summary>
internal static class HttpIntegrationResponse
{
    /// <summary>Content type of a streamed response that starts with a prelude (https://docs.aws.amazon.com/lambda/latest/dg/runtimes-custom.html#runtimes-custom-response-streaming).</summary>
    public const string ContentType = "application/vnd.awslambda.http-integration-response";

    /// <summary>API Gateway wants the prelude within the first 16 KB; the host enforces the same bound.</summary>
    public const int MaxPreludeBytes = 16 * 1024;

    public const int DelimiterLength = 8;

    /// <summary>Index of the 8 NUL bytes that end the prelude, or -1.</summary>
    public static int FindDelimiter(ReadOnlySpan<byte> data, int searchFrom)
    {
        var run = 0;
        for (var i = Math.Max(0, searchFrom - (DelimiterLength - 1)); i < data.Length; i++)
        {
            run = data[i] == 0 ? run + 1 : 0;
            if (run == DelimiterLength) return i - (DelimiterLength - 1);
        }
        return -1;
    }

    public static bool TryParsePrelude(ReadOnlySpan<byte> json, out HttpResponseHead head, out string error)
    {
        head = new HttpResponseHead(200, Array.Empty<KeyValuePair<string, string>>(), Array.Empty<string>());
        try
        {
            using var doc = JsonDocument.Parse(json.ToArray());
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
            {
                error = "the prelude is not a JSON object";
                return false;
            }
            return TryReadHead(doc.RootElement, out head, out error);
        }
        catch (JsonException ex)
        {
            error = "the prelude is not valid JSON: " + ex.Message;
            return false;
        }
    }

    /// <summary>
    /// A buffered (non-streaming) answer: the Function URL response format when it has <c>statusCode</c>,
    /// otherwise Lambda infers 200 with the whole answer as an <c>application/json</c> body (https://docs.aws.amazon.com/lambda/latest/dg/urls-invocation.html).
    /// </summary>
    public static (HttpResponseHead Head, byte[] Body) ParseBuffered(byte[] payload)
    {
        try
        {
            using var doc = JsonDocument.Parse(payload);
            var root = doc.RootElement;
            if (root.ValueKind == JsonValueKind.Object && root.TryGetProperty("statusCode", out _)
                && TryReadHead(root, out var head, out _))
            {
                var body = Array.Empty<byte>();
                if (root.TryGetProperty("body", out var b) && b.ValueKind == JsonValueKind.String)
                {
                    var text = b.GetString() ?? "";
                    var base64 = root.TryGetProperty("isBase64Encoded", out var e) && e.ValueKind == JsonValueKind.True;
                    body = base64 ? Convert.FromBase64String(text) : Encoding.UTF8.GetBytes(text);
                }
                return (head, body);
            }
        }
        catch (Exception ex) when (ex is JsonException or FormatException)
        {
            // Not the structured format: relayed as is, below.
        }
        var json = new HttpResponseHead(200, new[] { KeyValuePair.Create("content-type", "application/json") }, Array.Empty<string>());
        return (json, payload);
    }

    private static bool TryReadHead(JsonElement root, out HttpResponseHead head, out string error)
    {
        head = new HttpResponseHead(200, Array.Empty<KeyValuePair<string, string>>(), Array.Empty<string>());
        var status = 200;
        if (root.TryGetProperty("statusCode", out var s))
        {
            if (s.ValueKind != JsonValueKind.Number || !s.TryGetInt32(out status) || status < 100 || status > 599)
            {
                error = "statusCode is not an HTTP status code";
                return false;
            }
        }
        var headers = new List<KeyValuePair<string, string>>();
        var nonStrings = new List<string>();
        if (root.TryGetProperty("headers", out var h) && h.ValueKind == JsonValueKind.Object)
            foreach (var p in h.EnumerateObject())
            {
                if (p.Value.ValueKind != JsonValueKind.String) nonStrings.Add(p.Name);
                headers.Add(KeyValuePair.Create(p.Name, p.Value.ValueKind == JsonValueKind.String ? p.Value.GetString()! : p.Value.GetRawText()));
            }
        // multiValueHeaders is the API Gateway REST form; Function URLs use headers, but both are honoured.
        if (root.TryGetProperty("multiValueHeaders", out var mh) && mh.ValueKind == JsonValueKind.Object)
            foreach (var p in mh.EnumerateObject())
                if (p.Value.ValueKind == JsonValueKind.Array)
                    foreach (var v in p.Value.EnumerateArray())
                        headers.Add(KeyValuePair.Create(p.Name, v.GetString() ?? ""));
        var cookies = new List<string>();
        if (root.TryGetProperty("cookies", out var c) && c.ValueKind == JsonValueKind.Array)
            foreach (var v in c.EnumerateArray())
                if (v.ValueKind == JsonValueKind.String) cookies.Add(v.GetString()!);
        head = new HttpResponseHead(status, headers, cookies) { NonStringHeaders = nonStrings };
        error = "";
        return true;
    }
}
