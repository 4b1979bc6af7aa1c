// The composition root: read the settings, build the model's IChatClient pipeline, serve invocations.
using BedrockStream.Function;
using BedrockStream.Function.Runtime;
using Microsoft.Extensions.AI;

return await LambdaRuntime.RunAsync(() =>
{
    var settings = FunctionSettings.FromEnvironment();

    // Amazon Bedrock's ConverseStream behind Microsoft.Extensions.AI's IChatClient. Middleware (logging,
    // OpenTelemetry, caching, function invocation) goes between AsBuilder() and Build().
    IChatClient chat = BedrockChatClient.FromEnvironment(settings.ModelId)
        .AsBuilder()
        .Build();

    return new ChatHandler(settings, chat, LambdaRuntime.Output).HandleAsync;
});
