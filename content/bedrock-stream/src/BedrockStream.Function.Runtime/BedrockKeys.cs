namespace BedrockStream.Function.Runtime;

/// <summary>
/// Keys under which both Bedrock clients of this project (and AWS.Bedrock.MEAI, whose names these are) put
/// Bedrock-specific values into Microsoft.Extensions.AI's open-ended dictionaries.
/// </summary>
public static class BedrockKeys
{
    /// <summary>Encrypted reasoning: <c>byte[]</c> in a <see cref="Microsoft.Extensions.AI.TextReasoningContent"/>'s <c>AdditionalProperties</c>.</summary>
    public const string RedactedContent = "RedactedContent";

    /// <summary>Tokens written to the prompt cache, in <see cref="Microsoft.Extensions.AI.UsageDetails.AdditionalCounts"/>
    /// (reads are <see cref="Microsoft.Extensions.AI.UsageDetails.CachedInputTokenCount"/>).</summary>
    public const string CacheWriteInputTokens = "CacheWriteInputTokens";
}
