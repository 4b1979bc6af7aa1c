using System.Net;
using System.Text.Json.Serialization;

namespace BedrockStream.Function;

/// <summary>
/// The parts of the HTTP request event that the handler reads. Two fronts, two formats, one type:
/// a Function URL (also behind CloudFront) sends payload format 2.0
/// (https://docs.aws.amazon.com/lambda/latest/dg/urls-invocation.html#urls-payloads), an API Gateway REST API the
/// proxy integration's format 1.0 (https://docs.aws.amazon.com/apigateway/latest/developerguide/set-up-lambda-proxy-integrations.html#api-gateway-simple-proxy-for-lambda-input-format).
/// Their field names do not collide, so one deserialization reads either.
/// </summary>
public sealed class HttpRequestEvent
{
    // Payload format 2.0 (Function URL).
    [JsonPropertyName("rawPath")] public string? RawPath { get; set; }
    [JsonPropertyName("rawQueryString")] public string? RawQueryString { get; set; }

    // Payload format 1.0 (REST API).
    [JsonPropertyName("httpMethod")] public string? HttpMethod { get; set; }
    [JsonPropertyName("path")] public string? Path { get; set; }
    /// <summary>1.0 only: every value of every header (<see cref="Headers"/> keeps one value per name).</summary>
    [JsonPropertyName("multiValueHeaders")] public Dictionary<string, List<string>?>? MultiValueHeaders { get; set; }
    /// <summary>1.0 only: every value of every query parameter, URL-decoded.</summary>
    [JsonPropertyName("multiValueQueryStringParameters")] public Dictionary<string, List<string>?>? MultiValueQueryStringParameters { get; set; }

    // Both formats.
    /// <summary>Absent or null when there is no query. 2.0: repeated keys comma-joined; 1.0: one value per key.</summary>
    [JsonPropertyName("queryStringParameters")] public Dictionary<string, string>? QueryStringParameters { get; set; }
    /// <summary>2.0: names lower-case, repeated values comma-joined; 1.0: names as the client sent them, one value each.</summary>
    [JsonPropertyName("headers")] public Dictionary<string, string>? Headers { get; set; }
    [JsonPropertyName("body")] public string? Body { get; set; }
    [JsonPropertyName("isBase64Encoded")] public bool IsBase64Encoded { get; set; }
    [JsonPropertyName("requestContext")] public HttpRequestContext? RequestContext { get; set; }

    /// <summary>The HTTP method, upper-case, or null when the event is not an HTTP request.</summary>
    [JsonIgnore] public string? Method => (RequestContext?.Http?.Method ?? HttpMethod)?.ToUpperInvariant();

    /// <summary>The path without a trailing slash ("" for the root): 2.0's rawPath, 1.0's path (the resource path, without the stage).</summary>
    [JsonIgnore] public string RequestPath => (RawPath ?? Path ?? RequestContext?.Http?.Path ?? "/").TrimEnd('/');

    /// <summary>A header's value by case-insensitive name; a repeated header's values comma-joined, in both formats.</summary>
    public string? Header(string name)
    {
        if (Find(MultiValueHeaders, name) is { Count: > 0 } values)
            return string.Join(',', values);
        return Find(Headers, name);
    }

    /// <summary>A query parameter's first value, URL-decoded; null when the query does not have it.</summary>
    public string? Query(string name)
    {
        if (RawQueryString is { Length: > 0 } query)
        {
            foreach (var pair in query.Split('&'))
            {
                int eq = pair.IndexOf('=');
                if ((eq < 0 ? pair : pair[..eq]) == name)
                    return WebUtility.UrlDecode(eq < 0 ? "" : pair[(eq + 1)..]);
            }
            return null;
        }
        if (MultiValueQueryStringParameters?.GetValueOrDefault(name) is { Count: > 0 } values)
            return values[0];
        return QueryStringParameters?.GetValueOrDefault(name);
    }

    private static T? Find<T>(Dictionary<string, T>? map, string name)
    {
        if (map is null)
            return default;
        if (map.TryGetValue(name, out var value))
            return value;
        foreach (var (key, v) in map)
            if (string.Equals(key, name, StringComparison.OrdinalIgnoreCase))
                return v;
        return default;
    }
}

/// <summary><c>requestContext</c>: 2.0 has the method under <c>http</c>; 1.0 at the event's top level (<see cref="HttpRequestEvent.HttpMethod"/>).</summary>
public sealed class HttpRequestContext
{
    [JsonPropertyName("http")] public FunctionUrlHttp? Http { get; set; }
    [JsonPropertyName("requestId")] public string? RequestId { get; set; }
}

public sealed class FunctionUrlHttp
{
    [JsonPropertyName("method")] public string? Method { get; set; }
    [JsonPropertyName("path")] public string? Path { get; set; }
    [JsonPropertyName("sourceIp")] public string? SourceIp { get; set; }
}

/// <summary>The JSON body of a chat request: <c>{"prompt","system","messages":[{role,content}],"maxTokens","temperature","reasoning"}</c>.</summary>
public sealed class ChatRequestBody
{
    [JsonPropertyName("prompt")] public string? Prompt { get; set; }
    [JsonPropertyName("system")] public string? System { get; set; }
    [JsonPropertyName("messages")] public List<ChatRequestMessage?>? Messages { get; set; }
    [JsonPropertyName("maxTokens")] public int? MaxTokens { get; set; }
    [JsonPropertyName("temperature")] public double? Temperature { get; set; }
    [JsonPropertyName("reasoning")] public string? Reasoning { get; set; }
}

/// <summary>One turn of <see cref="ChatRequestBody.Messages"/>.</summary>
public sealed class ChatRequestMessage
{
    [JsonPropertyName("role")] public string? Role { get; set; }
    [JsonPropertyName("content")] public string? Content { get; set; }
}

/// <summary>Source-generated (reflection-free, Native AOT safe) serialization of the request types.</summary>
[JsonSourceGenerationOptions(GenerationMode = JsonSourceGenerationMode.Metadata)]
[JsonSerializable(typeof(HttpRequestEvent))]
[JsonSerializable(typeof(ChatRequestBody))]
internal sealed partial class RequestJsonContext : JsonSerializerContext;
