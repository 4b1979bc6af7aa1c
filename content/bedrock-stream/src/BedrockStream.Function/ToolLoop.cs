using Microsoft.Extensions.AI;

namespace BedrockStream.Function;

/// <summary>
/// The tool loop: Microsoft.Extensions.AI's <see cref="FunctionInvokingChatClient"/> runs the tools the model calls
/// (<see cref="Tools.FunctionTools"/>) and sends their results back for the next model turn, each call within
/// <c>TOOL_TIMEOUT_SECONDS</c> and never past the invocation's deadline. A tool that throws or runs out of time gives
/// the model an error result, which it can answer or correct; so does a call to a tool that does not exist.
/// <see cref="ChatHandler"/> ends the loop after <c>MAX_TOOL_ROUNDS</c> model turns that called tools.
/// </summary>
public static class ToolLoop
{
    private static Func<IChatClient, FunctionSettings, IChatClient>? _forFunctionTools;

    /// <summary>Puts the tool loop around the model in a function that has tools; without tools this adds nothing.</summary>
    public static ChatClientBuilder UseToolLoop(this ChatClientBuilder builder, FunctionSettings settings) =>
        // In OpenAI's protocol the tools are the client's: their calls go back to it, the function runs none.
        settings.Format == ResponseFormat.OpenAi || _forFunctionTools is not { } loop ? builder : builder.Use(model => loop(model, settings));

    /// <summary>The tool loop around <paramref name="model"/>, for the tools a request offers.</summary>
    public static IChatClient Around(IChatClient model, FunctionSettings settings) => new WhenToolsOffered(model, Create(model, settings));

    /// <summary>
    /// Called by <see cref="Tools.FunctionTools.Add"/>, so that only a function with tools has code that reaches
    /// <see cref="FunctionInvokingChatClient"/>. Native AOT compiles only reachable code: without tools it leaves out the
    /// loop and the JSON metadata of Microsoft.Extensions.AI's own types that comes with it (a quarter of the binary),
    /// and the function starts faster and uses less memory.
    /// </summary>
    internal static void Enable() => _forFunctionTools ??= Around;

    private static FunctionInvokingChatClient Create(IChatClient model, FunctionSettings settings) => new(model)
    {
        // One turn more than the handler allows: it stops the loop itself, before FunctionInvokingChatClient would
        // send a last turn without the tools, which Bedrock rejects in a conversation that has used them.
        MaximumIterationsPerRequest = settings.MaxToolRounds + 1,
        // The model sees why a tool failed (an unknown time zone, say) and can call it again correctly.
        IncludeDetailedErrors = true,
        FunctionInvoker = (context, cancellationToken) => InvokeAsync(context, settings.ToolTimeout, cancellationToken),
    };

    /// <summary>Runs one tool call within <paramref name="timeout"/>; the token is the invocation's deadline.</summary>
    internal static async ValueTask<object?> InvokeAsync(FunctionInvocationContext context, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var budget = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        budget.CancelAfter(timeout);
        try
        {
            // WaitAsync: a tool that ignores its token is left behind rather than holding the answer.
            return await context.Function.InvokeAsync(context.Arguments, budget.Token).AsTask().WaitAsync(budget.Token);
        }
        catch (OperationCanceledException) when (budget.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"The tool {context.Function.Name} did not finish within {timeout.TotalSeconds:0.#} s.");
        }
    }

    /// <summary>
    /// Sends a request that offers tools through the tool loop and any other straight to the model. The loop keeps
    /// every update of a model turn until the turn ends (it needs them to send the turn back with the tools' results),
    /// so a function without tools would hold its whole answer in memory for nothing: with 64 KB deltas that made the
    /// relay 3-7 times slower (the benchmark's relay throughput) and the answer's memory the process's peak RSS.
    /// </summary>
    private sealed class WhenToolsOffered(IChatClient model, FunctionInvokingChatClient loop) : DelegatingChatClient(model)
    {
        public override Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
            OffersTools(options) ? loop.GetResponseAsync(messages, options, cancellationToken) : base.GetResponseAsync(messages, options, cancellationToken);

        public override IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
            OffersTools(options) ? loop.GetStreamingResponseAsync(messages, options, cancellationToken) : base.GetStreamingResponseAsync(messages, options, cancellationToken);

        public override object? GetService(Type serviceType, object? serviceKey = null) => loop.GetService(serviceType, serviceKey);

        private static bool OffersTools(ChatOptions? options) => options?.Tools is { Count: > 0 };
    }
}
