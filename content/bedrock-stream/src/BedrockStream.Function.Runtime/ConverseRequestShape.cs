using System.Text.Json.Nodes;
using Microsoft.Extensions.AI;

namespace BedrockStream.Function.Runtime;

/// <summary>
/// What the Bedrock client adds to a request for its model (<see cref="BedrockModel.Shape"/>), beyond the caller's
/// options: the token budget (answer plus reasoning), the model family's reasoning fields, which parameters the model
/// forbids, whether earlier reasoning goes back to it, and where prompt-cache points go.
/// </summary>
internal sealed record ConverseRequestShape
{
    public static readonly ConverseRequestShape None = new();

    /// <summary><c>inferenceConfig.maxTokens</c>, overriding <see cref="ChatOptions.MaxOutputTokens"/> (answer + reasoning budget).</summary>
    public int? MaxTokens { get; init; }

    /// <summary>Leave <c>maxTokens</c> out altogether (Amazon Nova 2 with high reasoning effort requires it unset).</summary>
    public bool OmitMaxTokens { get; init; }

    /// <summary>Fields added to <c>additionalModelRequestFields</c> (the caller's own fields win).</summary>
    public JsonObject? AdditionalModelRequestFields { get; init; }

    /// <summary>Leave <c>temperature</c> and <c>topP</c> out (the model forbids them with reasoning on).</summary>
    public bool OmitSampling { get; init; }

    /// <summary>
    /// Drop reasoning from earlier assistant turns: only Claude needs it back (in a tool loop, unchanged); other
    /// families reject it (gpt-oss) or document stripping it (DeepSeek-R1).
    /// </summary>
    public bool OmitReasoningHistory { get; init; }

    public bool CachePointAfterSystem { get; init; }

    public bool CachePointAfterTools { get; init; }
}
