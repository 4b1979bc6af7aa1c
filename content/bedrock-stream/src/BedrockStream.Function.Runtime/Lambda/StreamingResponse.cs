using System.Buffers;
using System.Buffers.Text;
using System.Runtime.CompilerServices;

namespace BedrockStream.Function.Runtime;

/// <summary>
/// The streaming <c>POST /runtime/invocation/{id}/response</c> of one invocation, written as HTTP/1.1 chunks on a
/// raw socket (https://docs.aws.amazon.com/lambda/latest/dg/runtimes-custom.html#runtimes-custom-response-streaming).
/// </summary>
/// <remarks>
/// Lifecycle: <see cref="StartAsync"/> once, any number of <see cref="WriteAsync"/>, then exactly one of
/// <see cref="CompleteAsync"/> or <see cref="FailAsync"/> (called by <see cref="LambdaBootstrap"/>), then dispose.
/// Not thread-safe: one call at a time, like a <see cref="Stream"/>.
/// </remarks>
public sealed class StreamingResponse : IHttpResponseStream, IAsyncDisposable
{
    /// <summary>Writes up to this size are framed in one pooled buffer and sent with one syscall.</summary>
    private const int SingleSendLimit = 64 * 1024;

    /// <summary>Hex length (at most 8 digits for an int) + CRLF, and the CRLF after the data.</summary>
    private const int ChunkOverhead = 8 + 2 + 2;

    private readonly RuntimeApiClient _client;
    private readonly Task<HttpConnection> _connecting;
    private HttpConnection? _connection;
    private State _state;

    internal StreamingResponse(RuntimeApiClient client, string requestId)
    {
        _client = client;
        RequestId = requestId;
        // Connect now, while the handler parses its event and calls the model: by the time it has a first byte
        // to send, the TCP handshake is done. If the handler never starts, DisposeAsync closes it unused.
        _connecting = HttpConnection.ConnectAsync(client.Endpoint.EndPoint, CancellationToken.None).AsTask();
    }

    private enum State
    {
        NotStarted,
        Started,
        Finished,
    }

    /// <summary>The invocation this response belongs to.</summary>
    public string RequestId { get; }

    /// <inheritdoc />
    public bool HasStarted => _state != State.NotStarted;

    /// <summary>True after a write failed (typically: the Runtime API closed the connection because the caller went away).</summary>
    public bool IsBroken { get; private set; }

    /// <summary>
    /// Sends the request head and, as the first chunk, the prelude JSON plus 8 NUL bytes (https://docs.aws.amazon.com/apigateway/latest/developerguide/response-transfer-mode-lambda.html#response-transfer-mode-lambda-format),
    /// all in one write. Set-Cookie headers go to the prelude's <c>cookies</c> array.
    /// </summary>
    /// <exception cref="InvalidOperationException">Called twice.</exception>
    public async ValueTask StartAsync(int statusCode, IReadOnlyList<KeyValuePair<string, string>> headers, CancellationToken cancellationToken = default)
    {
        if (_state != State.NotStarted)
        {
            throw new InvalidOperationException("The response has already been started.");
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(statusCode, 100);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(statusCode, 599);
        ArgumentNullException.ThrowIfNull(headers);

        using var prelude = new PooledBufferWriter(512);
        HttpPrelude.Write(prelude, statusCode, headers);

        using var first = new PooledBufferWriter(1024 + prelude.WrittenCount);
        first.Write("POST "u8);
        first.WriteAscii(RuntimeApiClient.ApiPrefix);
        first.Write("/invocation/"u8);
        first.WriteAscii(Uri.EscapeDataString(RequestId));
        first.Write("/response HTTP/1.1\r\n"u8);
        first.Write(_client.CommonHeaders);
        // This content type makes the body a prelude + delimiter + payload; the
        // response mode switches the Runtime API to streaming; and trailers must be declared up front (HTTP/1.1).
        first.Write("Content-Type: application/vnd.awslambda.http-integration-response\r\n"u8);
        first.Write("Lambda-Runtime-Function-Response-Mode: streaming\r\n"u8);
        first.Write("Transfer-Encoding: chunked\r\n"u8);
        first.Write("Trailer: Lambda-Runtime-Function-Error-Type, Lambda-Runtime-Function-Error-Body\r\n\r\n"u8);
        AppendChunk(first, prelude.WrittenSpan);

        // If the connection cannot be opened, nothing was sent: the response stays not-started and the loop reports
        // the failure through /error instead.
        _connection = await _connecting.WaitAsync(cancellationToken).ConfigureAwait(false);
        _state = State.Started;
        await SendAsync(first.WrittenMemory, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Sends <paramref name="data"/> as one chunk, immediately. An empty write sends nothing.</summary>
    /// <exception cref="IOException">The Runtime API closed the connection (e.g. the caller disconnected).</exception>
    // Pooled state machines: a write that has to wait for the socket must not allocate per chunk.
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    public async ValueTask WriteAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken = default)
    {
        ThrowIfNotWritable();

        // A zero-length chunk is the end of a chunked body (RFC 9112, section 7.1), so it must never be sent for a write.
        if (data.IsEmpty)
        {
            return;
        }

        if (data.Length <= SingleSendLimit)
        {
            byte[] buffer = ArrayPool<byte>.Shared.Rent(data.Length + ChunkOverhead);
            try
            {
                int n = WriteChunkSize(buffer, data.Length);
                data.Span.CopyTo(buffer.AsSpan(n));
                n += data.Length;
                buffer[n++] = (byte)'\r';
                buffer[n++] = (byte)'\n';
                await SendAsync(buffer.AsMemory(0, n), cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }
        else
        {
            // Large writes: copying would cost more than two extra small sends.
            byte[] header = ArrayPool<byte>.Shared.Rent(ChunkOverhead);
            try
            {
                int n = WriteChunkSize(header, data.Length);
                await SendAsync(header.AsMemory(0, n), cancellationToken).ConfigureAwait(false);
                await SendAsync(data, cancellationToken).ConfigureAwait(false);
                await SendAsync(Crlf, cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(header);
            }
        }
    }

    /// <summary>
    /// Ends the body with <c>0\r\n\r\n</c>, reads the Runtime API's answer and closes the connection
    /// (runtimes-custom: "close the underlying connection after writing the response").
    /// </summary>
    /// <returns>The Runtime API's HTTP status (202 expected).</returns>
    /// <exception cref="IOException">The connection is broken; the response could not be ended.</exception>
    public async Task<int> CompleteAsync(CancellationToken cancellationToken = default)
    {
        ThrowIfNotWritable();
        _state = State.Finished;
        await SendAsync(SuccessTerminator, cancellationToken).ConfigureAwait(false);
        return await ReadAnswerAndCloseAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Ends the body with the error trailers <c>Lambda-Runtime-Function-Error-Type</c> and
    /// <c>Lambda-Runtime-Function-Error-Body</c> (base64 of the error JSON), https://docs.aws.amazon.com/lambda/latest/dg/runtimes-custom.html#runtimes-custom-response-streaming: after the first
    /// byte, <c>/error</c> is no longer allowed and Lambda forwards these trailers to the caller.
    /// </summary>
    /// <returns>The Runtime API's HTTP status (202 expected).</returns>
    /// <exception cref="IOException">The connection is broken; the trailers could not be sent.</exception>
    public async Task<int> FailAsync(string errorType, string errorMessage, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(errorType);
        ArgumentNullException.ThrowIfNull(errorMessage);
        ThrowIfNotWritable();
        _state = State.Finished;

        using var json = new PooledBufferWriter(512);
        ErrorPayload.WriteJson(json, errorType, errorMessage);

        using var trailer = new PooledBufferWriter(256 + Base64.GetMaxEncodedToUtf8Length(json.WrittenCount));
        trailer.Write("0\r\nLambda-Runtime-Function-Error-Type: "u8);
        trailer.WriteHeaderValue(errorType);
        // Base64 because a raw JSON value could carry CR/LF and break the trailer framing (Amazon.Lambda.RuntimeSupport encodes it the same way).
        trailer.Write("\r\nLambda-Runtime-Function-Error-Body: "u8);
        Span<byte> target = trailer.GetSpan(Base64.GetMaxEncodedToUtf8Length(json.WrittenCount));
        Base64.EncodeToUtf8(json.WrittenSpan, target, out _, out int encoded);
        trailer.Advance(encoded);
        trailer.Write("\r\n\r\n"u8);

        await SendAsync(trailer.WrittenMemory, cancellationToken).ConfigureAwait(false);
        return await ReadAnswerAndCloseAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Closes the connection (a response that was not completed ends truncated) and releases it.</summary>
    public async ValueTask DisposeAsync()
    {
        _state = State.Finished;
        if (_connection is null)
        {
            try
            {
                _connection = await _connecting.ConfigureAwait(false);
            }
            catch (Exception)
            {
                // The eager connect failed and nobody needed it; the handler's failure (if any) is reported elsewhere.
            }
        }

        _connection?.Dispose();
    }

    private static ReadOnlyMemory<byte> Crlf { get; } = "\r\n"u8.ToArray();

    private static ReadOnlyMemory<byte> SuccessTerminator { get; } = "0\r\n\r\n"u8.ToArray();

    private static int WriteChunkSize(Span<byte> destination, int length)
    {
        Utf8Formatter.TryFormat(length, destination, out int n, new StandardFormat('x'));
        destination[n++] = (byte)'\r';
        destination[n++] = (byte)'\n';
        return n;
    }

    private static void AppendChunk(PooledBufferWriter output, ReadOnlySpan<byte> data)
    {
        Span<byte> span = output.GetSpan(data.Length + ChunkOverhead);
        int n = WriteChunkSize(span, data.Length);
        data.CopyTo(span[n..]);
        n += data.Length;
        span[n++] = (byte)'\r';
        span[n++] = (byte)'\n';
        output.Advance(n);
    }

    private void ThrowIfNotWritable()
    {
        if (_state == State.NotStarted)
        {
            throw new InvalidOperationException("StartAsync must be called before the body is written.");
        }

        if (_state == State.Finished)
        {
            throw new InvalidOperationException("The response has already been completed.");
        }

        if (IsBroken)
        {
            throw new IOException("The response stream is broken: the Runtime API closed the connection or a write failed.");
        }
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask SendAsync(ReadOnlyMemory<byte> bytes, CancellationToken cancellationToken)
    {
        try
        {
            await _connection!.WriteAsync(bytes, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            // Part of a chunk may have gone out: the framing can no longer be trusted, not even for trailers.
            IsBroken = true;
            throw;
        }
    }

    private async Task<int> ReadAnswerAndCloseAsync(CancellationToken cancellationToken)
    {
        HttpConnection connection = _connection!;
        try
        {
            int status = await connection.ReadResponseHeadAsync(cancellationToken).ConfigureAwait(false);
            await connection.ReadBodyAsync(cancellationToken).ConfigureAwait(false);
            return status;
        }
        finally
        {
            connection.Dispose();
        }
    }
}
