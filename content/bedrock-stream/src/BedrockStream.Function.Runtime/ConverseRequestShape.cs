using System.Text.Json.Nodes;
using Microsoft.Extensions.AI;

namespace BedrockStream.Function.Runtime;

/// <summary>
/// What <see cref="BedrockChatClient"/> adds to a request for its model, beyond the caller's options: the
/// answer's token budget (reasoning budget included), reasoning fields, whether sampling parameters must be
/// left out, and where prompt-cache points go.
/// </summary>
internal sealed record ConverseRequestShape
{
    public static readonly ConverseRequestShape None = new();

    /// <summary><c>inferenceConfig.maxTokens</c>, overriding <see cref="ChatOptions.MaxOutputTokens"/> (e.g. answer + reasoning budget).</summary>
    public int? MaxTokens { get; init; }

    /// <summary>Fields added to <c>additionalModelRequestFields</c> (the caller's own fields win).</summary>
    public JsonObject? AdditionalModelRequestFields { get; init; }

    /// <summary>Leave <c>temperature</c> and <c>topP</c> out (the model forbids them with reasoning on).</summary>
    public bool OmitSampling { get; init; }

    public bool CachePointAfterSystem { get; init; }

    public bool CachePointAfterTools { get; init; }
}
