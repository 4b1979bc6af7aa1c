namespace BedrockStream.Function.Runtime;

/// <summary>
/// The custom runtime's event loop: <c>/next</c> → handler → complete, fail or <c>/error</c> → <c>/next</c> …
/// (https://docs.aws.amazon.com/lambda/latest/dg/runtimes-custom.html; the split from the wire client follows
/// Amazon.Lambda.RuntimeSupport).
/// </summary>
public sealed class LambdaBootstrap
{
    /// <summary>errorType reported when a handler returns without starting its response.</summary>
    public const string NoResponseErrorType = "Runtime.NoResponse";

    private readonly RuntimeApiClient _client;
    private readonly InvocationHandler _handler;

    /// <param name="client">The Runtime API wire client.</param>
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

    /// <summary>Where runtime-level failures are reported, one short line each (stderr → CloudWatch Logs).</summary>
    internal Action<string> Log { get; set; } = static line => Console.Error.WriteLine(line);

    /// <summary>How many times in a row <c>/next</c> may fail before the runtime gives up.</summary>
    internal int MaxNextAttempts { get; set; } = 5;

    /// <summary>The first backoff delay; it doubles after each failure (with jitter).</summary>
    internal TimeSpan InitialRetryDelay { get; set; } = TimeSpan.FromMilliseconds(50);

    /// <summary>
    /// Serves invocations until <paramref name="cancellationToken"/> is cancelled (then throws
    /// <see cref="OperationCanceledException"/>). The token is also handed to the handler.
    /// </summary>
    /// <exception cref="RuntimeApiException">The Runtime API stayed unreachable; the process should exit non-zero.</exception>
    public async Task RunAsync(CancellationToken cancellationToken = default)
    {
        while (true)
        {
            Invocation invocation = await GetNextWithRetryAsync(cancellationToken).ConfigureAwait(false);

            // Awaited in full (the Runtime API's answer included) before the next /next: Lambda serves one
            // invocation at a time per sandbox, and the next /next means "done" (runtimes-api).
            await InvokeOnceAsync(invocation, cancellationToken).ConfigureAwait(false);
        }
    }

    internal async Task InvokeOnceAsync(Invocation invocation, CancellationToken cancellationToken)
    {
        await using StreamingResponse response = _client.CreateStreamingResponse(invocation.RequestId);

        Exception? failure = null;
        try
        {
            await _handler(invocation, response, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            failure = ex;
        }

        try
        {
            if (failure is null && response.HasStarted)
            {
                int status = await response.CompleteAsync(cancellationToken).ConfigureAwait(false);
                LogIfNotAccepted(invocation, status);
            }
            else if (failure is null)
            {
                Log($"bootstrap: invocation {invocation.RequestId}: handler returned without starting a response; reporting {NoResponseErrorType}.");
                await _client.PostErrorAsync(invocation.RequestId, NoResponseErrorType,
                    "The handler returned without starting a response.", cancellationToken).ConfigureAwait(false);
            }
            else
            {
                string errorType = ErrorTypeOf(failure);
                if (response.HasStarted)
                {
                    // Once bytes are out, /error is no longer allowed; the error goes into trailers (https://docs.aws.amazon.com/lambda/latest/dg/runtimes-custom.html#runtimes-custom-response-streaming).
                    Log($"bootstrap: invocation {invocation.RequestId}: handler failed mid-stream ({errorType}); ending with error trailers.");
                    int status = await response.FailAsync(errorType, failure.Message, cancellationToken).ConfigureAwait(false);
                    LogIfNotAccepted(invocation, status);
                }
                else
                {
                    Log($"bootstrap: invocation {invocation.RequestId}: handler failed before responding ({errorType}); reporting via /error.");
                    await _client.PostErrorAsync(invocation.RequestId, errorType, failure.Message, cancellationToken).ConfigureAwait(false);
                }
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            // Typically the caller disconnected and the Runtime API closed the /response connection. This invocation
            // is over either way; the sandbox stays healthy, so go on with the next one.
            Log($"bootstrap: invocation {invocation.RequestId}: could not finish the response ({ex.GetType().Name}: {ex.Message}).");
        }
    }

    /// <summary>
    /// The errorType Lambda shows to the caller (InvokeWithResponseStream's <c>ErrorCode</c>): Bedrock's own code for
    /// a <see cref="ModelException"/>, otherwise the exception type name, as Amazon.Lambda.RuntimeSupport does (https://github.com/aws/aws-lambda-dotnet/tree/master/Libraries/src/Amazon.Lambda.RuntimeSupport).
    /// </summary>
    internal static string ErrorTypeOf(Exception exception) =>
        exception is ModelException model && !string.IsNullOrEmpty(model.ErrorCode) ? model.ErrorCode : exception.GetType().Name;

    private void LogIfNotAccepted(Invocation invocation, int status)
    {
        if (status != 202)
        {
            Log($"bootstrap: invocation {invocation.RequestId}: Runtime API answered HTTP {status} to the response (202 expected).");
        }
    }

    private async Task<Invocation> GetNextWithRetryAsync(CancellationToken cancellationToken)
    {
        TimeSpan delay = InitialRetryDelay;
        for (int attempt = 1; ; attempt++)
        {
            try
            {
                return await _client.GetNextInvocationAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                if (attempt >= MaxNextAttempts)
                {
                    throw new RuntimeApiException(
                        $"The Lambda Runtime API at {_client.HostAndPort} is unreachable: GET /runtime/invocation/next failed {attempt} times in a row (last: {ex.GetType().Name}: {ex.Message}).",
                        (ex as RuntimeApiException)?.StatusCode,
                        ex);
                }

                Log($"bootstrap: GET /runtime/invocation/next failed ({ex.GetType().Name}: {ex.Message}); retry {attempt}/{MaxNextAttempts - 1}.");

                // Exponential backoff with jitter (50–100 %), so a briefly restarting Runtime API is not hammered.
                double factor = 0.5 + (Random.Shared.NextDouble() * 0.5);
                await Task.Delay(delay * factor, cancellationToken).ConfigureAwait(false);
                delay *= 2;
            }
        }
    }
}
