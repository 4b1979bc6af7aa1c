using System.ComponentModel;
using System.Runtime.CompilerServices;
using System.Text.Json.Serialization;
using Microsoft.Extensions.AI;

namespace FunctionNamespace.Tools;

/// <summary>The model's <c>tool_name</c> tool. Fill in <see cref="RunAsync"/>; the model reads the descriptions to decide when and how to call it.</summary>
internal static partial class ToolName
{
    // Runs once when the function starts, and offers the tool to the model: no list to edit, no reflection (Native AOT).
    [ModuleInitializer]
    internal static void Register() => FunctionTools.Add(AIFunctionFactory.Create(RunAsync, new AIFunctionFactoryOptions
    {
        Name = "tool_name",
        Description = "ToolDescriptionForTheModel",
        SerializerOptions = ToolJson.Options(ToolNameJson.Default),
    }));

    /// <param name="query">What the model asks for. Rename it, change its type or add parameters: each one needs a description.</param>
    /// <param name="cancellationToken">Cancelled after TOOL_TIMEOUT_SECONDS or at the invocation's deadline: pass it on to I/O.</param>
    private static async Task<ToolNameResult> RunAsync(
        [Description("What to look up, in the user's words.")] string query,
        CancellationToken cancellationToken)
    {
        // TODO: call your API or database here (the function's role has no AWS permissions for it until you add them).
        // Throwing is fine: the model gets an error result it can explain or correct, and the caller a tool_result with "error".
        await Task.Yield();
        cancellationToken.ThrowIfCancellationRequested();
        return new ToolNameResult(query, "tool_name is not implemented yet.");
    }

    /// <summary>What the model gets back, as JSON.</summary>
    internal sealed record ToolNameResult(string Query, string Answer);

    // Source-generated JSON for the result (Native AOT has no reflection-based serialization).
    [JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
    [JsonSerializable(typeof(ToolNameResult))]
    private sealed partial class ToolNameJson : JsonSerializerContext;
}
