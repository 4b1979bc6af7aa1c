using System.Text.Json.Serialization;

namespace BedrockStream.Function;

/// <summary>The parts of a Function URL event (payload format 2.0) that the handler reads.</summary>
public sealed class FunctionUrlRequest
{
    [JsonPropertyName("rawPath")] public string? RawPath { get; set; }
    [JsonPropertyName("rawQueryString")] public string? RawQueryString { get; set; }
    /// <summary>Absent (not empty) when there is no query; repeated keys are comma-joined.</summary>
    [JsonPropertyName("queryStringParameters")] public Dictionary<string, string>? QueryStringParameters { get; set; }
    /// <summary>Header names are lower-case; repeated values are comma-joined.</summary>
    [JsonPropertyName("headers")] public Dictionary<string, string>? Headers { get; set; }
    [JsonPropertyName("body")] public string? Body { get; set; }
    [JsonPropertyName("isBase64Encoded")] public bool IsBase64Encoded { get; set; }
    [JsonPropertyName("requestContext")] public FunctionUrlRequestContext? RequestContext { get; set; }

    /// <summary>The HTTP method, upper-case, or null when the event is not an HTTP request.</summary>
    [JsonIgnore] public string? Method => RequestContext?.Http?.Method?.ToUpperInvariant();

    /// <summary>A header's value by case-insensitive name.</summary>
    public string? Header(string name)
    {
        if (Headers is null)
            return null;
        if (Headers.TryGetValue(name, out var value))
            return value;
        foreach (var (key, v) in Headers)
            if (string.Equals(key, name, StringComparison.OrdinalIgnoreCase))
                return v;
        return null;
    }
}

public sealed class FunctionUrlRequestContext
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
[JsonSerializable(typeof(FunctionUrlRequest))]
[JsonSerializable(typeof(ChatRequestBody))]
internal sealed partial class RequestJsonContext : JsonSerializerContext;
