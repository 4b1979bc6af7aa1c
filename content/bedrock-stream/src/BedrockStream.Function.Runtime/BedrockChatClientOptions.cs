using Microsoft.Extensions.AI;

namespace BedrockStream.Function.Runtime;

/// <summary>Settings of a Bedrock chat client beyond the model id (see <see cref="BedrockModel"/> for what they do per model).</summary>
public sealed class BedrockChatClientOptions
{
    /// <summary>
    /// Put a prompt-cache point after the system prompt (Claude, Amazon Nova) and after the tool definitions (Claude),
    /// when they are long enough for the model to cache them. Never for models that do not cache (they reject it).
    /// </summary>
    public bool PromptCaching { get; init; }

    /// <summary>
    /// The highest reasoning effort requests will ask for. When it is not <see cref="ReasoningEffort.None"/>, a model
    /// this function does not know how to make reason is refused when the client is created, not at the first call.
    /// </summary>
    public ReasoningEffort? MaxReasoningEffort { get; init; }

    /// <summary>The function offers tools: a model that cannot stream tool calls is refused when the client is created.</summary>
    public bool HasTools { get; init; }
}
