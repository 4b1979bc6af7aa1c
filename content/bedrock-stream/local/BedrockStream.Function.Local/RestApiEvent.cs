using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.WebUtilities;

namespace BedrockStream.Function.Local;

/// <summary>
/// Turns an HTTP request into the event an API Gateway REST API's Lambda proxy integration sends: payload format 1.0
/// (https://docs.aws.amazon.com/apigateway/latest/developerguide/set-up-lambda-proxy-integrations.html#api-gateway-simple-proxy-for-lambda-input-format).
/// Unlike a Function URL's, header names keep the client's case; <c>headers</c> has one value per name (the last) and
/// <c>multiValueHeaders</c> all of them; the same for the query; absent parts are <c>null</c>.
/// </summary>
internal static class RestApiEvent
{
    public const string ApiId = "localrestapi";
    public const string Stage = "prod";

    public static byte[] Build(HttpRequest request, byte[] body, string requestId, DateTimeOffset now, string? apiKey, string resource = FrontRules.RestApiPath)
    {
        using var ms = new MemoryStream(body.Length + 2048);
        using (var w = new Utf8JsonWriter(ms, FunctionUrlEvent.WriterOptions))
        {
            var path = request.Path.Value is { Length: > 0 } p ? p : "/";
            var sourceIp = request.HttpContext.Connection.RemoteIpAddress?.ToString() ?? "127.0.0.1";

            w.WriteStartObject();
            w.WriteString("resource", resource);
            w.WriteString("path", path);
            w.WriteString("httpMethod", request.Method);

            w.WriteStartObject("headers");
            foreach (var (name, values) in request.Headers)
                w.WriteString(name, values.LastOrDefault() ?? "");
            w.WriteEndObject();
            w.WriteStartObject("multiValueHeaders");
            foreach (var (name, values) in request.Headers)
            {
                w.WriteStartArray(name);
                foreach (var value in values) w.WriteStringValue(value);
                w.WriteEndArray();
            }
            w.WriteEndObject();

            var query = request.QueryString.HasValue ? QueryHelpers.ParseQuery(request.QueryString.Value) : null;
            if (query is { Count: > 0 })
            {
                w.WriteStartObject("queryStringParameters");
                foreach (var (key, values) in query) w.WriteString(key, values.LastOrDefault() ?? "");
                w.WriteEndObject();
                w.WriteStartObject("multiValueQueryStringParameters");
                foreach (var (key, values) in query)
                {
                    w.WriteStartArray(key);
                    foreach (var value in values) w.WriteStringValue(value);
                    w.WriteEndArray();
                }
                w.WriteEndObject();
            }
            else
            {
                w.WriteNull("queryStringParameters");
                w.WriteNull("multiValueQueryStringParameters");
            }
            if (resource == FrontRules.RestApiProxyResource)
            {
                w.WriteStartObject("pathParameters");
                w.WriteString("proxy", path.TrimStart('/'));
                w.WriteEndObject();
            }
            else
            {
                w.WriteNull("pathParameters");
            }
            w.WriteNull("stageVariables");

            w.WriteStartObject("requestContext");
            w.WriteString("accountId", "123456789012");
            w.WriteString("apiId", ApiId);
            w.WriteString("domainName", request.Host.Value);
            w.WriteString("domainPrefix", request.Host.Host.Split('.')[0]);
            w.WriteString("extendedRequestId", requestId);
            w.WriteString("httpMethod", request.Method);
            w.WriteStartObject("identity");
            if (apiKey is not null) w.WriteString("apiKey", apiKey); else w.WriteNull("apiKey");
            w.WriteString("sourceIp", sourceIp);
            w.WriteString("userAgent", request.Headers.UserAgent.ToString());
            w.WriteEndObject();
            w.WriteString("path", "/" + Stage + path);
            w.WriteString("protocol", request.Protocol);
            w.WriteString("requestId", requestId);
            w.WriteString("requestTime", now.ToUniversalTime().ToString("dd/MMM/yyyy:HH:mm:ss +0000", CultureInfo.InvariantCulture));
            w.WriteNumber("requestTimeEpoch", now.ToUnixTimeMilliseconds());
            w.WriteString("resourcePath", resource);
            w.WriteString("stage", Stage);
            w.WriteEndObject();

            // Text as it is; bytes that are not UTF-8 base64-encoded, as a REST API with binary media types sends them.
            FunctionUrlEvent.WriteBody(w, body, asText: true, nullWhenEmpty: true);
            w.WriteEndObject();
        }
        return ms.ToArray();
    }
}
