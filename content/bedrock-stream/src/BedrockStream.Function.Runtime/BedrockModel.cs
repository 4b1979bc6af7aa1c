using Microsoft.Extensions.AI;

namespace BedrockStream.Function.Runtime;

/// <summary>What the client adds to each request for its model.</summary>
internal sealed class BedrockModel(string modelId, BedrockChatClientOptions options)
{
    public string ModelId { get; } = modelId;

    public BedrockChatClientOptions Options { get; } = options;

    public ConverseRequestShape Shape(IEnumerable<ChatMessage> messages, ChatOptions? options) => ConverseRequestShape.None;
}
