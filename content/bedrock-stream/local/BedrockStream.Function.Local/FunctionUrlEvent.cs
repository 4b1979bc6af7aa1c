using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Microsoft.AspNetCore.WebUtilities;

namespace BedrockStream.Function.Local;

/// <summary>
/// Turns an HTTP request into the event a Function URL sends: payload format 2.0 (https://docs.aws.amazon.com/lambda/latest/dg/urls-invocation.html#urls-payloads).
/// </summary>
internal static class FunctionUrlEvent
{
    /// <summary>The url-id part of <c>https://&lt;url-id&gt;.lambda-url.&lt;region&gt;.on.aws</c>.</summary>
    public const string ApiId = "localfunctionurl00000000000000";

    internal static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static byte[] Build(HttpRequest request, byte[] body, string requestId, DateTimeOffset now, string traceId)
    {
        using var ms = new MemoryStream(body.Length + 1024);
        using (var w = new Utf8JsonWriter(ms, WriterOptions))
        {
            var rawPath = request.PathBase.Add(request.Path).ToUriComponent();
            var rawQuery = request.QueryString.HasValue ? request.QueryString.Value!.TrimStart('?') : "";

            w.WriteStartObject();
            w.WriteString("version", "2.0");
            w.WriteString("routeKey", "$default");
            w.WriteString("rawPath", rawPath);
            w.WriteString("rawQueryString", rawQuery);

            // Cookies travel in their own array, not as a "cookie" header.
            var cookies = request.Headers.Cookie.SelectMany(c => (c ?? "").Split(';'))
                .Select(c => c.Trim()).Where(c => c.Length > 0).ToList();
            if (cookies.Count > 0)
            {
                w.WriteStartArray("cookies");
                foreach (var c in cookies) w.WriteStringValue(c);
                w.WriteEndArray();
            }

            // Header names lower-cased, repeated values comma-joined, plus what the Function URL adds.
            w.WriteStartObject("headers");
            foreach (var (name, values) in request.Headers)
            {
                if (name.Equals("Cookie", StringComparison.OrdinalIgnoreCase)) continue;
                w.WriteString(name.ToLowerInvariant(), string.Join(',', values.ToArray()));
            }
            var sourceIp = request.HttpContext.Connection.RemoteIpAddress?.ToString() ?? "127.0.0.1";
            if (!request.Headers.ContainsKey("X-Forwarded-For")) w.WriteString("x-forwarded-for", sourceIp);
            w.WriteString("x-forwarded-proto", request.Scheme);
            w.WriteString("x-forwarded-port", (request.Host.Port ?? 80).ToString(CultureInfo.InvariantCulture));
            w.WriteString("x-amzn-trace-id", traceId);
            w.WriteEndObject();

            // queryStringParameters is absent (not empty) when there is no query.
            if (rawQuery.Length > 0)
            {
                w.WriteStartObject("queryStringParameters");
                foreach (var (key, values) in QueryHelpers.ParseQuery(rawQuery))
                    w.WriteString(key, string.Join(',', values.ToArray()));
                w.WriteEndObject();
            }

            w.WriteStartObject("requestContext");
            w.WriteString("accountId", "anonymous");
            w.WriteString("apiId", ApiId);
            w.WriteString("domainName", request.Host.Value);
            w.WriteString("domainPrefix", request.Host.Host.Split('.')[0]);
            w.WriteStartObject("http");
            w.WriteString("method", request.Method);
            w.WriteString("path", rawPath);
            w.WriteString("protocol", request.Protocol);
            w.WriteString("sourceIp", sourceIp);
            w.WriteString("userAgent", request.Headers.UserAgent.ToString());
            w.WriteEndObject();
            w.WriteString("requestId", requestId);
            w.WriteString("routeKey", "$default");
            w.WriteString("stage", "$default");
            w.WriteString("time", now.ToUniversalTime().ToString("dd/MMM/yyyy:HH:mm:ss +0000", CultureInfo.InvariantCulture));
            w.WriteNumber("timeEpoch", now.ToUnixTimeMilliseconds());
            w.WriteEndObject();

            // Text bodies as they are; anything else (or invalid UTF-8) base64-encoded with isBase64Encoded.
            WriteBody(w, body, IsTextContentType(request.ContentType), nullWhenEmpty: false);
            w.WriteEndObject();
        }
        return ms.ToArray();
    }

    /// <summary>
    /// Writes <c>body</c> (as text when <paramref name="asText"/> and it is UTF-8, else base64; absent or null when there
    /// is none) and <c>isBase64Encoded</c>.
    /// </summary>
    internal static void WriteBody(Utf8JsonWriter w, byte[] body, bool asText, bool nullWhenEmpty)
    {
        var base64 = false;
        if (body.Length == 0)
        {
            if (nullWhenEmpty) w.WriteNull("body");
        }
        else if (asText && TryDecodeUtf8(body, out var text))
            w.WriteString("body", text);
        else
        {
            w.WriteString("body", Convert.ToBase64String(body));
            base64 = true;
        }
        w.WriteBoolean("isBase64Encoded", base64);
    }

    internal static bool IsTextContentType(string? contentType)
    {
        if (string.IsNullOrEmpty(contentType)) return false;
        var type = contentType.Split(';')[0].Trim().ToLowerInvariant();
        return type.StartsWith("text/", StringComparison.Ordinal)
            || type is "application/json" or "application/xml" or "application/javascript" or "application/x-www-form-urlencoded"
            || type.EndsWith("+json", StringComparison.Ordinal) || type.EndsWith("+xml", StringComparison.Ordinal);
    }

    internal static bool TryDecodeUtf8(byte[] bytes, out string text)
    {
        try
        {
            text = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(bytes);
            return true;
        }
        catch (DecoderFallbackException)
        {
            text = "";
            return false;
        }
    }
}
