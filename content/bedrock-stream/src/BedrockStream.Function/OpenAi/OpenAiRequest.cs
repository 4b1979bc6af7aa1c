using System.Text.Json;
using System.Text.Json.Serialization;

namespace BedrockStream.Function.OpenAi;

/// <summary>
/// The body of <c>POST /v1/chat/completions</c>, the fields this endpoint reads
/// (https://platform.openai.com/docs/api-reference/chat/create); any other field is ignored. Fields that take more
/// than one JSON type (<c>content</c>, <c>stop</c>, <c>tool_choice</c>) are read as <see cref="JsonElement"/>s.
/// </summary>
internal sealed class OpenAiChatRequest
{
    [JsonPropertyName("model")] public string? Model { get; set; }
    [JsonPropertyName("messages")] public List<OpenAiMessage?>? Messages { get; set; }
    [JsonPropertyName("stream")] public bool? Stream { get; set; }
    [JsonPropertyName("stream_options")] public OpenAiStreamOptions? StreamOptions { get; set; }
    [JsonPropertyName("max_tokens")] public int? MaxTokens { get; set; }
    [JsonPropertyName("max_completion_tokens")] public int? MaxCompletionTokens { get; set; }
    [JsonPropertyName("temperature")] public double? Temperature { get; set; }
    [JsonPropertyName("top_p")] public double? TopP { get; set; }
    [JsonPropertyName("stop")] public JsonElement? Stop { get; set; }
    [JsonPropertyName("tools")] public List<OpenAiTool?>? Tools { get; set; }
    [JsonPropertyName("tool_choice")] public JsonElement? ToolChoice { get; set; }
    [JsonPropertyName("reasoning_effort")] public string? ReasoningEffort { get; set; }
    [JsonPropertyName("n")] public int? N { get; set; }
    [JsonPropertyName("response_format")] public OpenAiResponseFormat? ResponseFormat { get; set; }
}

internal sealed class OpenAiStreamOptions
{
    [JsonPropertyName("include_usage")] public bool? IncludeUsage { get; set; }
}

/// <summary>One message: <c>role</c>, <c>content</c> (a string or an array of parts), and an assistant's <c>tool_calls</c> or a tool's <c>tool_call_id</c>.</summary>
internal sealed class OpenAiMessage
{
    [JsonPropertyName("role")] public string? Role { get; set; }
    [JsonPropertyName("content")] public JsonElement? Content { get; set; }
    [JsonPropertyName("tool_calls")] public List<OpenAiToolCall?>? ToolCalls { get; set; }
    [JsonPropertyName("tool_call_id")] public string? ToolCallId { get; set; }
}

internal sealed class OpenAiToolCall
{
    [JsonPropertyName("id")] public string? Id { get; set; }
    [JsonPropertyName("type")] public string? Type { get; set; }
    [JsonPropertyName("function")] public OpenAiFunctionCall? Function { get; set; }
}

internal sealed class OpenAiFunctionCall
{
    [JsonPropertyName("name")] public string? Name { get; set; }
    /// <summary>The arguments as a JSON text (an object).</summary>
    [JsonPropertyName("arguments")] public string? Arguments { get; set; }
}

/// <summary>A tool the client offers: <c>{"type":"function","function":{"name","description","parameters"}}</c>.</summary>
internal sealed class OpenAiTool
{
    [JsonPropertyName("type")] public string? Type { get; set; }
    [JsonPropertyName("function")] public OpenAiFunction? Function { get; set; }
}

internal sealed class OpenAiFunction
{
    [JsonPropertyName("name")] public string? Name { get; set; }
    [JsonPropertyName("description")] public string? Description { get; set; }
    /// <summary>The JSON schema of the arguments.</summary>
    [JsonPropertyName("parameters")] public JsonElement? Parameters { get; set; }
}

internal sealed class OpenAiResponseFormat
{
    [JsonPropertyName("type")] public string? Type { get; set; }
}

/// <summary>Source-generated (reflection-free, Native AOT safe) reading of the request.</summary>
[JsonSourceGenerationOptions(GenerationMode = JsonSourceGenerationMode.Metadata)]
[JsonSerializable(typeof(OpenAiChatRequest))]
internal sealed partial class OpenAiJsonContext : JsonSerializerContext;
