using System.Buffers;
using System.Net;
using System.Runtime.InteropServices;
using Amazon.Lambda.Core.ResponseStreaming;

namespace BedrockStream.Function.Runtime;

/// <summary>
/// <see cref="IHttpResponseStream"/> over Amazon.Lambda.Core's response streaming: <see cref="StartAsync"/> creates
/// the stream with <c>LambdaResponseStreamFactory.CreateHttpStream</c> (the prelude carries status, headers and
/// cookies), and each <see cref="WriteAsync"/> is one write to the <c>LambdaResponseStream</c>, which RuntimeSupport
/// sends to the Runtime API as one chunk right away.
/// </summary>
/// <remarks>Not thread-safe: one call at a time, like a <see cref="Stream"/>.</remarks>
public sealed class LambdaHttpResponseStream : IHttpResponseStream, IDisposable
{
    private LambdaResponseStream? _stream;

    /// <inheritdoc />
    public bool HasStarted => _stream is not null;

    /// <summary>
    /// Creates the response stream with its prelude. Set-Cookie headers go to the prelude's cookies; repeated headers
    /// are joined with ", "; Content-Length and Transfer-Encoding belong to the stream, not to the handler, and are dropped.
    /// </summary>
    /// <exception cref="InvalidOperationException">Called twice.</exception>
    public ValueTask StartAsync(int statusCode, IReadOnlyList<KeyValuePair<string, string>> headers, CancellationToken cancellationToken = default)
    {
        if (_stream is not null)
        {
            throw new InvalidOperationException("The response has already been started.");
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(statusCode, 100);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(statusCode, 599);
        ArgumentNullException.ThrowIfNull(headers);
        cancellationToken.ThrowIfCancellationRequested();

        var prelude = new HttpResponseStreamPrelude
        {
            StatusCode = (HttpStatusCode)statusCode,
            Headers = new Dictionary<string, string>(headers.Count, StringComparer.OrdinalIgnoreCase),
            Cookies = new List<string>(),
        };
        foreach (var (name, value) in headers)
        {
            if (string.Equals(name, "Set-Cookie", StringComparison.OrdinalIgnoreCase))
            {
                prelude.Cookies.Add(value);
            }
            else if (string.Equals(name, "Content-Length", StringComparison.OrdinalIgnoreCase)
                     || string.Equals(name, "Transfer-Encoding", StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }
            else if (prelude.Headers.TryGetValue(name, out string? earlier))
            {
                prelude.Headers[name] = earlier + ", " + value;
            }
            else
            {
                prelude.Headers[name] = value;
            }
        }

        // RuntimeSupport opens the streaming POST now and sends the prelude (JSON + 8 NUL bytes) as soon as it is connected.
        _stream = LambdaResponseStreamFactory.CreateHttpStream(prelude);
        return ValueTask.CompletedTask;
    }

    /// <summary>Writes <paramref name="data"/> as one write (one chunk on the wire). An empty write sends nothing.</summary>
    public async ValueTask WriteAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken = default)
    {
        LambdaResponseStream stream = _stream ?? throw new InvalidOperationException("StartAsync must be called before WriteAsync.");
        if (data.IsEmpty)
        {
            return;
        }

        if (MemoryMarshal.TryGetArray(data, out ArraySegment<byte> segment))
        {
            await stream.WriteAsync(segment.Array!, segment.Offset, segment.Count, cancellationToken).ConfigureAwait(false);
            return;
        }

        byte[] buffer = ArrayPool<byte>.Shared.Rent(data.Length);
        try
        {
            data.CopyTo(buffer);
            await stream.WriteAsync(buffer, 0, data.Length, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Releases the stream object; RuntimeSupport ends the response itself once the handler returns.</summary>
    public void Dispose() => _stream?.Dispose();
}
