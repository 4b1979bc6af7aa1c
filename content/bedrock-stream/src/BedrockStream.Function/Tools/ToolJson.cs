using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using Microsoft.Extensions.AI;

namespace BedrockStream.Function.Tools;

/// <summary>JSON options for a tool: its own source-generated types, then what Microsoft.Extensions.AI knows (strings, numbers, …).</summary>
public static class ToolJson
{
    public static JsonSerializerOptions Options(JsonSerializerContext toolTypes) => new(AIJsonUtilities.DefaultOptions)
    {
        TypeInfoResolver = JsonTypeInfoResolver.Combine(toolTypes, AIJsonUtilities.DefaultOptions.TypeInfoResolver),
    };
}
