using BedrockStream.Function.OpenAi;

namespace BedrockStream.Function;

public sealed partial class ChatHandler
{
    // RESPONSE_FORMAT=openai: OpenAI's Chat Completions (this folder).
    static partial void UseOpenAiProtocol(FunctionSettings settings, TimeProvider time, ref IChatProtocol? protocol) =>
        protocol = new OpenAiProtocol(settings, time);
}
