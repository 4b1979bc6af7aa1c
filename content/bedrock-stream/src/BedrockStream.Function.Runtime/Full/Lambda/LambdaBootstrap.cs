using Amazon.Lambda.Core;
using Amazon.Lambda.RuntimeSupport;

namespace BedrockStream.Function.Runtime;

/// <summary>
/// The invocation loop of the <c>--sdk full</c> variant: Amazon.Lambda.RuntimeSupport's <c>LambdaBootstrap</c>
/// (<c>/next</c> → handler → response or <c>/error</c> → <c>/next</c> …), with each invocation handed to the
/// handler as an <see cref="Invocation"/> and an <see cref="IHttpResponseStream"/> over Amazon.Lambda.Core's
/// response streaming (<c>LambdaResponseStreamFactory.CreateHttpStream</c>).
/// </summary>
/// <remarks>
/// Errors are reported by RuntimeSupport: a handler that throws before starting its response is reported with
/// <c>/error</c>, after it with the error trailers; either way the error type is the exception's type name.
/// </remarks>
public sealed class LambdaBootstrap
{
    private readonly RuntimeApiClient _client;
    private readonly InvocationHandler _handler;
    private int _invocations;

    /// <param name="client">The Runtime API connection (its HTTP client is shared with RuntimeSupport).</param>
    /// <param name="handler">
    /// Called once per invocation with the event and its response stream. It should call
    /// <see cref="IHttpResponseStream.StartAsync"/> and write the body; throwing reports the error to Lambda.
    /// </param>
    public LambdaBootstrap(RuntimeApiClient client, InvocationHandler handler)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(handler);
        _client = client;
        _handler = handler;
    }

    /// <summary>
    /// Serves invocations until <paramref name="cancellationToken"/> is cancelled (then throws
    /// <see cref="OperationCanceledException"/>). The token is also handed to the handler.
    /// </summary>
    public async Task RunAsync(CancellationToken cancellationToken = default)
    {
        Func<Stream, ILambdaContext, Task> handler = (input, context) => InvokeAsync(input, context, cancellationToken);
        using var bootstrap = LambdaBootstrapBuilder.Create(handler)
            .UseHttpClient(_client.HttpClient)
            .Build();

        while (true)
        {
            int served = _invocations;
            try
            {
                await bootstrap.RunAsync(cancellationToken).ConfigureAwait(false);
                break;
            }
            catch (Exception e) when (!cancellationToken.IsCancellationRequested && _invocations > served)
            {
                // RuntimeSupport ends its loop when sending a streamed response fails, typically because the caller went
                // away and the response connection was closed. That invocation is over either way and the environment is
                // healthy, so serve the next one (a failing /next, with no invocation in between, still ends the process).
                Console.Error.WriteLine($"bootstrap: could not finish a response ({e.GetType().Name}: {e.Message}); serving on.");
            }
        }

        // RuntimeSupport's loop returns quietly when cancelled; keep the contract of the core variant.
        cancellationToken.ThrowIfCancellationRequested();
    }

    private async Task InvokeAsync(Stream input, ILambdaContext context, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _invocations);
        var invocation = new Invocation(
            context.AwsRequestId,
            DateTimeOffset.UtcNow + context.RemainingTime,
            context.InvokedFunctionArn ?? "",
            string.IsNullOrEmpty(context.TraceId) ? null : context.TraceId,
            await ReadPayloadAsync(input, cancellationToken).ConfigureAwait(false));

        var response = new LambdaHttpResponseStream();
        try
        {
            await _handler(invocation, response, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            response.Dispose();
        }

        if (!response.HasStarted)
        {
            // Without a stream RuntimeSupport would send an empty buffered response; report it as an error instead.
            throw new InvalidOperationException("The handler returned without starting a response.");
        }
    }

    private static async Task<ReadOnlyMemory<byte>> ReadPayloadAsync(Stream input, CancellationToken cancellationToken)
    {
        if (input is MemoryStream memory && memory.TryGetBuffer(out ArraySegment<byte> segment))
        {
            return segment.AsMemory((int)memory.Position);
        }

        using var copy = new MemoryStream(input.CanSeek ? (int)Math.Max(0, input.Length - input.Position) : 4096);
        await input.CopyToAsync(copy, cancellationToken).ConfigureAwait(false);
        return copy.GetBuffer().AsMemory(0, (int)copy.Length);
    }
}
