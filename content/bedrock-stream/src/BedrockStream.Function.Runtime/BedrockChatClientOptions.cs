namespace BedrockStream.Function.Runtime;

/// <summary>Settings of a <see cref="BedrockChatClient"/> beyond the model id.</summary>
public sealed class BedrockChatClientOptions
{
}
