using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Amazon.BedrockRuntime;
using Amazon.BedrockRuntime.Model;
using Amazon.Runtime.Documents;
using Microsoft.Extensions.AI;

namespace BedrockStream.Function.Runtime;

/// <summary>
/// Shapes what AWS.Bedrock.MEAI turns into a ConverseStream request, where its own mapping falls short of what
/// <see cref="BedrockModel"/> asks for: it honours a raw <see cref="ConverseStreamRequest"/> from
/// <see cref="ChatOptions.RawRepresentationFactory"/> (keeping its <c>maxTokens</c>, <c>additionalModelRequestFields</c>
/// and tool list, and appending its own), and a <see cref="CachePointBlock"/> in a message's
/// <c>AdditionalProperties["CachePoint"]</c>.
/// </summary>
internal static class ConverseRequests
{
    private const string CachePointKey = nameof(ContentBlock.CachePoint);

    /// <summary>The messages and options to hand to AWS.Bedrock.MEAI so that the request it sends has <paramref name="shape"/>.</summary>
    public static (IEnumerable<ChatMessage> Messages, ChatOptions Options) Shape(IEnumerable<ChatMessage> messages, ChatOptions? options, ConverseRequestShape shape)
    {
        var shapedMessages = ShapeMessages(messages, shape);
        var shaped = options?.Clone() ?? new ChatOptions();

        // The shape says how this model reasons; AWS.Bedrock.MEAI would write Claude's thinking fields for every model.
        shaped.Reasoning = null;
        if (shape.OmitSampling)
        {
            shaped.Temperature = null;
            shaped.TopP = null;
        }

        if (shape.OmitMaxTokens)
            shaped.MaxOutputTokens = null;

        var request = new ConverseStreamRequest();
        if (shape.MaxTokens is int maxTokens && !shape.OmitMaxTokens)
            request.InferenceConfig = new InferenceConfiguration { MaxTokens = maxTokens };

        if (Merged(options?.AdditionalProperties, shape.AdditionalModelRequestFields) is { } fields)
            request.AdditionalModelRequestFields = ToDocument(fields);

        if (shape.CachePointAfterTools && shaped.Tools is { Count: > 0 } tools)
        {
            // AWS.Bedrock.MEAI appends the options' tools after a raw tool list, so the tools go into the raw list
            // themselves, followed by the cache point.
            request.ToolConfig = new ToolConfiguration { Tools = [.. tools.OfType<AIFunctionDeclaration>().Select(ToolOf), new Tool { CachePoint = DefaultCachePoint() }] };
            shaped.Tools = null;
        }

        CopyPassThroughFields(options?.AdditionalProperties, request);
        shaped.RawRepresentationFactory = _ => request;
        return (shapedMessages, shaped);
    }

    private static IEnumerable<ChatMessage> ShapeMessages(IEnumerable<ChatMessage> messages, ConverseRequestShape shape)
    {
        var list = messages.ToList();
        int lastSystem = list.FindLastIndex(m => m.Role == ChatRole.System);
        for (int i = 0; i < list.Count; i++)
        {
            var message = list[i];
            if (shape.OmitReasoningHistory && message.Contents.Any(c => c is TextReasoningContent))
            {
                message = message.Clone();
                message.Contents = [.. message.Contents.Where(c => c is not TextReasoningContent)];
            }

            if (i == lastSystem && shape.CachePointAfterSystem)
            {
                message = message.Clone();
                message.AdditionalProperties = new(message.AdditionalProperties ?? []) { [CachePointKey] = DefaultCachePoint() };
            }

            list[i] = message;
        }

        return list;
    }

    private static CachePointBlock DefaultCachePoint() => new() { Type = CachePointType.Default };

    private static Tool ToolOf(AIFunctionDeclaration function)
    {
        var schema = new JsonObject { ["type"] = "object" };
        if (function.JsonSchema.TryGetProperty("properties"u8, out var properties))
            schema["properties"] = JsonNode.Parse(properties.GetRawText());
        if (function.JsonSchema.TryGetProperty("required"u8, out var required) && required.GetArrayLength() > 0)
            schema["required"] = JsonNode.Parse(required.GetRawText());
        return new Tool
        {
            ToolSpec = new ToolSpecification
            {
                Name = function.Name,
                Description = string.IsNullOrEmpty(function.Description) ? function.Name : function.Description,
                InputSchema = new ToolInputSchema { Json = ToDocument(schema) },
            },
        };
    }

    /// <summary>The caller's <c>additionalModelRequestFields</c> with the model's own added (the caller's win), or null.</summary>
    private static JsonObject? Merged(AdditionalPropertiesDictionary? properties, JsonObject? modelFields)
    {
        object? callerFields = null;
        properties?.TryGetValue("additionalModelRequestFields", out callerFields);
        if (modelFields is null && callerFields is null)
            return null;

        var merged = (JsonObject?)modelFields?.DeepClone() ?? new JsonObject();
        if (ToNode(callerFields) is JsonObject caller)
        {
            foreach ((string name, JsonNode? node) in caller)
                merged[name] = node?.DeepClone();
        }

        return merged;
    }

    /// <summary>Provider-specific request fields passed under their ConverseStream names, as in the <c>--sdk core</c> variant.</summary>
    private static void CopyPassThroughFields(AdditionalPropertiesDictionary? properties, ConverseStreamRequest request)
    {
        if (properties is null)
            return;

        if (ToNode(properties.GetValueOrDefault("performanceConfig")) is JsonObject performance && performance["latency"]?.GetValue<string>() is { } latency)
            request.PerformanceConfig = new PerformanceConfiguration { Latency = new PerformanceConfigLatency(latency) };
        if (ToNode(properties.GetValueOrDefault("serviceTier")) is JsonObject tier && tier["type"]?.GetValue<string>() is { } tierType)
            request.ServiceTier = new ServiceTier { Type = new ServiceTierType(tierType) };
        if (ToNode(properties.GetValueOrDefault("requestMetadata")) is JsonObject metadata)
            request.RequestMetadata = metadata.ToDictionary(p => p.Key, p => p.Value?.GetValue<string>() ?? "");
        if (ToNode(properties.GetValueOrDefault("additionalModelResponseFieldPaths")) is JsonArray paths)
            request.AdditionalModelResponseFieldPaths = [.. paths.Select(p => p!.GetValue<string>())];
        if (ToNode(properties.GetValueOrDefault("guardrailConfig")) is JsonObject guardrail)
        {
            request.GuardrailConfig = new GuardrailStreamConfiguration
            {
                GuardrailIdentifier = guardrail["guardrailIdentifier"]?.GetValue<string>(),
                GuardrailVersion = guardrail["guardrailVersion"]?.GetValue<string>(),
                Trace = guardrail["trace"]?.GetValue<string>() is { } trace ? new GuardrailTrace(trace) : null,
                StreamProcessingMode = guardrail["streamProcessingMode"]?.GetValue<string>() is { } mode ? new GuardrailStreamProcessingMode(mode) : null,
            };
        }
    }

    private static JsonNode? ToNode(object? value) => value switch
    {
        null => null,
        JsonNode node => node,
        JsonElement element => JsonNode.Parse(element.GetRawText()),
        IDictionary<string, object?> dictionary => JsonNode.Parse(Serialize(dictionary)),
        _ => null,
    };

    private static string Serialize(IDictionary<string, object?> dictionary)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
            JsonValues.WriteObject(writer, dictionary);
        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    /// <summary>JSON as the SDK's <see cref="Document"/> (the type of its free-form JSON fields).</summary>
    private static Document ToDocument(JsonNode? json) => json switch
    {
        JsonObject obj => new Document(obj.ToDictionary(p => p.Key, p => ToDocument(p.Value))),
        JsonArray array => new Document(array.Select(ToDocument).ToList()),
        JsonValue value when value.TryGetValue(out bool flag) => new Document(flag),
        JsonValue value when value.TryGetValue(out int number) => new Document(number),
        JsonValue value when value.TryGetValue(out long number) => new Document(number),
        JsonValue value when value.TryGetValue(out double number) => new Document(number),
        JsonValue value when value.TryGetValue(out string? text) => new Document(text),
        _ => new Document(),
    };
}
