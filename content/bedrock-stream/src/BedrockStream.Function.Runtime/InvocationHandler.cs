namespace BedrockStream.Function.Runtime;

/// <summary>
/// Handles one invocation: reads <paramref name="invocation"/>'s event and writes the streamed HTTP response.
/// Throwing before <see cref="IHttpResponseStream.StartAsync"/> reports the error to Lambda (<c>/error</c>); throwing
/// after it ends the stream with Lambda's error trailers.
/// </summary>
/// <param name="cancellationToken">Cancelled when Lambda shuts the execution environment down (SIGTERM).</param>
public delegate Task InvocationHandler(Invocation invocation, IHttpResponseStream response, CancellationToken cancellationToken);
