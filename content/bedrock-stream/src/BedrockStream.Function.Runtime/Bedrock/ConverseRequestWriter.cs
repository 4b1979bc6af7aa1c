using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.AI;

namespace BedrockStream.Function.Runtime;

/// <summary>
/// Writes the JSON body of a ConverseStream request from Microsoft.Extensions.AI messages and options, without
/// reflection (Native AOT safe), mapping them as AWS.Bedrock.MEAI does
/// (request shape: https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_ConverseStream.html):
/// <list type="bullet">
/// <item>system messages and <see cref="ChatOptions.Instructions"/> → <c>system</c>;</item>
/// <item>other messages → <c>messages</c> (assistant stays assistant, user and tool become user) with <c>text</c>,
/// <c>reasoningContent</c> (text and signature unchanged, or the encrypted bytes), <c>toolUse</c> and <c>toolResult</c>
/// blocks; blank text becomes a zero-width space, because Bedrock rejects empty text blocks;</item>
/// <item><see cref="ChatOptions.MaxOutputTokens"/>, <see cref="ChatOptions.Temperature"/>, <see cref="ChatOptions.TopP"/>,
/// <see cref="ChatOptions.StopSequences"/> → <c>inferenceConfig</c>;</item>
/// <item><see cref="ChatOptions.Tools"/> and a required <see cref="ChatOptions.ToolMode"/> → <c>toolConfig</c>;</item>
/// <item>provider-specific request fields (<c>additionalModelRequestFields</c>, <c>guardrailConfig</c>,
/// <c>performanceConfig</c>, …) from <see cref="ChatOptions.AdditionalProperties"/> under their ConverseStream names.</item>
/// </list>
/// </summary>
internal static class ConverseRequestWriter
{
    /// <summary>Top-level ConverseStream fields a caller may pass through <see cref="ChatOptions.AdditionalProperties"/>.</summary>
    public static readonly IReadOnlyList<string> PassThroughFields =
    [
        "additionalModelRequestFields", "additionalModelResponseFieldPaths", "guardrailConfig", "outputConfig",
        "performanceConfig", "promptVariables", "requestMetadata", "serviceTier",
    ];

    private const string ZeroWidthSpace = "\u200b";

    // The body is never embedded in HTML, so non-ASCII text can go out as raw UTF-8 (smaller than \uXXXX escapes).
    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>Writes the request for <paramref name="messages"/> and <paramref name="options"/> as UTF-8 JSON into <paramref name="output"/>.</summary>
    /// <param name="shape">What the client adds for the model (reasoning fields, token budget, cache points).</param>
    public static void Write(IBufferWriter<byte> output, IEnumerable<ChatMessage> messages, ChatOptions? options, ConverseRequestShape shape)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(messages);

        using var writer = new Utf8JsonWriter(output, WriterOptions);
        writer.WriteStartObject();
        WriteMessages(writer, messages, shape);
        WriteSystem(writer, messages, options, shape);
        WriteInferenceConfig(writer, options, shape);
        WriteToolConfig(writer, options, shape);
        WritePassThroughFields(writer, options, shape);
        writer.WriteEndObject();
        writer.Flush();
    }

    private static void WriteMessages(Utf8JsonWriter writer, IEnumerable<ChatMessage> messages, ConverseRequestShape shape)
    {
        writer.WriteStartArray("messages"u8);
        bool any = false;
        foreach (ChatMessage message in messages)
        {
            if (message.Role == ChatRole.System || !HasBlocks(message, shape))
            {
                continue;
            }

            any = true;
            writer.WriteStartObject();
            writer.WriteString("role"u8, message.Role == ChatRole.Assistant ? "assistant" : "user");
            writer.WriteStartArray("content"u8);
            foreach (AIContent content in message.Contents)
            {
                WriteBlock(writer, message.Role, content, shape);
            }

            writer.WriteEndArray();
            writer.WriteEndObject();
        }

        // Bedrock rejects a request without messages.
        if (!any)
        {
            writer.WriteStartObject();
            writer.WriteString("role"u8, "user");
            writer.WriteStartArray("content"u8);
            WriteText(writer, ZeroWidthSpace);
            writer.WriteEndArray();
            writer.WriteEndObject();
        }

        writer.WriteEndArray();
    }

    private static bool HasBlocks(ChatMessage message, ConverseRequestShape shape)
    {
        foreach (AIContent content in message.Contents)
        {
            if (IsBlock(message.Role, content, shape))
            {
                return true;
            }
        }

        return false;
    }

    private static bool IsBlock(ChatRole role, AIContent content, ConverseRequestShape shape) => content switch
    {
        TextContent text => role != ChatRole.Assistant || text.Text.TrimEnd().Length > 0,
        TextReasoningContent => !shape.OmitReasoningHistory,
        FunctionCallContent or FunctionResultContent => true,
        _ => false, // images, files and hosted-tool contents are not sent by this client
    };

    private static void WriteBlock(Utf8JsonWriter writer, ChatRole role, AIContent content, ConverseRequestShape shape)
    {
        if (!IsBlock(role, content, shape))
        {
            return;
        }

        switch (content)
        {
            case TextContent text:
                // An assistant turn that ends in whitespace is rejected by some models; AWS.Bedrock.MEAI trims it too.
                string value = role == ChatRole.Assistant ? text.Text.TrimEnd() : text.Text;
                WriteText(writer, string.IsNullOrWhiteSpace(value) ? ZeroWidthSpace : value);
                break;

            case TextReasoningContent reasoning:
                writer.WriteStartObject();
                writer.WriteStartObject("reasoningContent"u8);
                if (reasoning.AdditionalProperties?.TryGetValue(BedrockKeys.RedactedContent, out object? redacted) == true && redacted is byte[] bytes)
                {
                    writer.WriteBase64String("redactedContent"u8, bytes);
                }
                else
                {
                    // Text and signature go back unchanged: Claude rejects a tool-loop turn whose reasoning was altered.
                    writer.WriteStartObject("reasoningText"u8);
                    writer.WriteString("text"u8, reasoning.Text);
                    if (reasoning.ProtectedData is { } signature)
                    {
                        writer.WriteString("signature"u8, signature);
                    }

                    writer.WriteEndObject();
                }

                writer.WriteEndObject();
                writer.WriteEndObject();
                break;

            case FunctionCallContent call:
                writer.WriteStartObject();
                writer.WriteStartObject("toolUse"u8);
                writer.WriteString("toolUseId"u8, call.CallId);
                writer.WriteString("name"u8, call.Name);
                writer.WritePropertyName("input"u8);
                JsonValues.WriteObject(writer, call.Arguments);
                writer.WriteEndObject();
                writer.WriteEndObject();
                break;

            case FunctionResultContent result:
                writer.WriteStartObject();
                writer.WriteStartObject("toolResult"u8);
                writer.WriteString("toolUseId"u8, result.CallId);
                writer.WriteStartArray("content"u8);
                WriteToolResult(writer, result.Result);
                writer.WriteEndArray();
                // Nova and Claude honour the status; AWS.Bedrock.MEAI sets it only for failures.
                if (result.Exception is not null)
                {
                    writer.WriteString("status"u8, "error");
                }

                writer.WriteEndObject();
                writer.WriteEndObject();
                break;
        }
    }

    private static void WriteText(Utf8JsonWriter writer, string text)
    {
        writer.WriteStartObject();
        writer.WriteString("text"u8, text);
        writer.WriteEndObject();
    }

    /// <summary>A string result is a text block; anything else a JSON block <c>{"result": …}</c> (JSON blocks must be objects).</summary>
    private static void WriteToolResult(Utf8JsonWriter writer, object? result)
    {
        switch (result)
        {
            case string text:
                WriteText(writer, text);
                break;
            case TextContent text:
                WriteText(writer, text.Text);
                break;
            case JsonElement { ValueKind: JsonValueKind.String } json:
                WriteText(writer, json.GetString()!);
                break;
            default:
                writer.WriteStartObject();
                writer.WriteStartObject("json"u8);
                writer.WritePropertyName("result"u8);
                JsonValues.Write(writer, result);
                writer.WriteEndObject();
                writer.WriteEndObject();
                break;
        }
    }

    private static void WriteSystem(Utf8JsonWriter writer, IEnumerable<ChatMessage> messages, ChatOptions? options, ConverseRequestShape shape)
    {
        bool started = false;
        void Start()
        {
            if (!started)
            {
                writer.WriteStartArray("system"u8);
                started = true;
            }
        }

        // Bedrock rejects an empty text block, so empty instructions mean "none".
        if (!string.IsNullOrEmpty(options?.Instructions))
        {
            Start();
            WriteText(writer, options.Instructions);
        }

        foreach (ChatMessage message in messages)
        {
            if (message.Role == ChatRole.System && message.Text is { Length: > 0 } text)
            {
                Start();
                WriteText(writer, text);
            }
        }

        if (started && shape.CachePointAfterSystem)
        {
            writer.WriteStartObject();
            WriteCachePoint(writer);
            writer.WriteEndObject();
        }

        if (started)
        {
            writer.WriteEndArray();
        }
    }

    private static void WriteInferenceConfig(Utf8JsonWriter writer, ChatOptions? options, ConverseRequestShape shape)
    {
        int? maxTokens = shape.OmitMaxTokens ? null : shape.MaxTokens ?? options?.MaxOutputTokens;
        // Temperature and topP go out only when the caller set them: newer Claude models reject them, and models
        // with reasoning switched on may forbid them (shape.OmitSampling).
        float? temperature = shape.OmitSampling ? null : options?.Temperature;
        float? topP = shape.OmitSampling ? null : options?.TopP;
        IList<string>? stops = options?.StopSequences is { Count: > 0 } s ? s : null;
        if (maxTokens is null && temperature is null && topP is null && stops is null)
        {
            return;
        }

        writer.WriteStartObject("inferenceConfig"u8);
        if (maxTokens is int max) writer.WriteNumber("maxTokens"u8, max);
        if (temperature is float t) writer.WriteNumber("temperature"u8, t);
        if (topP is float p) writer.WriteNumber("topP"u8, p);
        if (stops is not null)
        {
            writer.WriteStartArray("stopSequences"u8);
            foreach (string stop in stops) writer.WriteStringValue(stop);
            writer.WriteEndArray();
        }

        writer.WriteEndObject();
    }

    private static void WriteToolConfig(Utf8JsonWriter writer, ChatOptions? options, ConverseRequestShape shape)
    {
        if (options?.Tools is not { Count: > 0 } tools)
        {
            return;
        }

        writer.WriteStartObject("toolConfig"u8);
        writer.WriteStartArray("tools"u8);
        foreach (AITool tool in tools)
        {
            if (tool is not AIFunctionDeclaration function)
            {
                continue; // hosted tools have no ConverseStream equivalent
            }

            writer.WriteStartObject();
            writer.WriteStartObject("toolSpec"u8);
            writer.WriteString("name"u8, function.Name);
            writer.WriteString("description"u8, string.IsNullOrEmpty(function.Description) ? function.Name : function.Description);
            writer.WriteStartObject("inputSchema"u8);
            writer.WriteStartObject("json"u8);
            WriteInputSchema(writer, function.JsonSchema);
            writer.WriteEndObject();
            writer.WriteEndObject();
            writer.WriteEndObject();
            writer.WriteEndObject();
        }

        if (shape.CachePointAfterTools)
        {
            writer.WriteStartObject();
            WriteCachePoint(writer);
            writer.WriteEndObject();
        }

        writer.WriteEndArray();
        if (options.ToolMode is RequiredChatToolMode required)
        {
            writer.WriteStartObject("toolChoice"u8);
            if (required.RequiredFunctionName is { Length: > 0 } name)
            {
                writer.WriteStartObject("tool"u8);
                writer.WriteString("name"u8, name);
                writer.WriteEndObject();
            }
            else
            {
                writer.WriteStartObject("any"u8);
                writer.WriteEndObject();
            }

            writer.WriteEndObject();
        }

        writer.WriteEndObject();
    }

    /// <summary>The function's JSON schema as Bedrock takes it: an object with its <c>properties</c> and <c>required</c> (AWS.Bedrock.MEAI keeps those two).</summary>
    private static void WriteInputSchema(Utf8JsonWriter writer, JsonElement schema)
    {
        writer.WriteString("type"u8, "object");
        if (schema.ValueKind != JsonValueKind.Object)
        {
            return;
        }

        if (schema.TryGetProperty("properties"u8, out JsonElement properties) && properties.ValueKind == JsonValueKind.Object)
        {
            writer.WritePropertyName("properties"u8);
            properties.WriteTo(writer);
        }

        if (schema.TryGetProperty("required"u8, out JsonElement required) && required.ValueKind == JsonValueKind.Array && required.GetArrayLength() > 0)
        {
            writer.WritePropertyName("required"u8);
            required.WriteTo(writer);
        }
    }

    private static void WritePassThroughFields(Utf8JsonWriter writer, ChatOptions? options, ConverseRequestShape shape)
    {
        AdditionalPropertiesDictionary? properties = options?.AdditionalProperties;
        foreach (string field in PassThroughFields)
        {
            object? value = null;
            properties?.TryGetValue(field, out value);
            if (field == "additionalModelRequestFields" && shape.AdditionalModelRequestFields is { } added)
            {
                writer.WritePropertyName(field);
                WriteMerged(writer, value, added);
            }
            else if (value is not null)
            {
                writer.WritePropertyName(field);
                JsonValues.Write(writer, value);
            }
        }
    }

    /// <summary>The caller's <c>additionalModelRequestFields</c> with the client's own fields added (the caller's win).</summary>
    private static void WriteMerged(Utf8JsonWriter writer, object? callerFields, JsonObject clientFields)
    {
        JsonObject merged = (JsonObject)clientFields.DeepClone();
        JsonNode? caller = callerFields switch
        {
            null => null,
            JsonNode node => node,
            JsonElement element => JsonNode.Parse(element.GetRawText()),
            _ => throw new ArgumentException("additionalModelRequestFields must be a JsonElement or JsonNode object."),
        };
        if (caller is JsonObject callerObject)
        {
            foreach ((string name, JsonNode? node) in callerObject)
            {
                merged[name] = node?.DeepClone();
            }
        }

        merged.WriteTo(writer);
    }

    private static void WriteCachePoint(Utf8JsonWriter writer)
    {
        writer.WriteStartObject("cachePoint"u8);
        writer.WriteString("type"u8, "default");
        writer.WriteEndObject();
    }
}
