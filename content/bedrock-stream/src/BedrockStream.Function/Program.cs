// The composition root: read the settings, build the model's IChatClient pipeline, serve invocations.
using BedrockStream.Function;
using BedrockStream.Function.Runtime;
using BedrockStream.Function.Tools;
using Microsoft.Extensions.AI;

return await LambdaRuntime.RunAsync(() =>
{
    var settings = FunctionSettings.FromEnvironment();

    // Amazon Bedrock's ConverseStream behind Microsoft.Extensions.AI's IChatClient, then the tool loop that runs the
    // tools in Tools/. More middleware (logging, OpenTelemetry, caching) goes between AsBuilder() and Build().
    IChatClient chat = BedrockChatClient.FromEnvironment(settings.ModelId, new BedrockChatClientOptions
        {
            PromptCaching = settings.PromptCache,
            MaxReasoningEffort = settings.ReasoningEffort,
            HasTools = FunctionTools.All.Count > 0,
        })
        .AsBuilder()
        .UseToolLoop(settings)
        .Build();

    return new ChatHandler(settings, chat, LambdaRuntime.Output).HandleAsync;
});
