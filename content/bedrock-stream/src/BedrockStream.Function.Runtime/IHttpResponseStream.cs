namespace BedrockStream.Function.Runtime;

/// <summary>
/// The streamed HTTP response of one invocation, as the caller of the Function URL (or REST API) will see it.
/// The handler writes through this seam; the runtime client behind it owns the wire.
/// </summary>
/// <remarks>
/// If the handler throws after <see cref="StartAsync"/>, the runtime ends the stream with Lambda's
/// error trailers; if it throws before, the runtime reports the error with <c>/error</c> instead.
/// </remarks>
public interface IHttpResponseStream
{
    /// <summary>True once the status and headers have been sent.</summary>
    bool HasStarted { get; }

    /// <summary>Sends the status code and headers (the HTTP integration prelude). Call once, before any write.</summary>
    ValueTask StartAsync(int statusCode, IReadOnlyList<KeyValuePair<string, string>> headers, CancellationToken cancellationToken = default);

    /// <summary>Writes <paramref name="data"/> as one chunk and flushes it to the caller.</summary>
    ValueTask WriteAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken = default);
}
