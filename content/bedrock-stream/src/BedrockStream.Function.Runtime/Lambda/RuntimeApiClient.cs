using System.Buffers.Text;
using System.Text;

namespace BedrockStream.Function.Runtime;

/// <summary>
/// The wire client of the Lambda Runtime API 2018-06-01 (https://docs.aws.amazon.com/lambda/latest/dg/runtimes-api.html): <c>/next</c>,
/// <c>/error</c>, <c>/init/error</c>, and the streaming <c>/response</c> (<see cref="StreamingResponse"/>).
/// The control flow around it lives in <see cref="LambdaBootstrap"/>.
/// </summary>
/// <remarks>
/// <c>/next</c>, <c>/error</c> and <c>/init/error</c> share one persistent keep-alive connection, so a warm
/// invocation costs no TCP handshake. Each streaming response gets its own connection, because the runtime must
/// close it after the response (runtimes-custom, "Implementing response streaming in a custom runtime").
/// </remarks>
public sealed class RuntimeApiClient : IDisposable
{
    /// <summary>The environment variable holding the Runtime API's <c>host:port</c>.</summary>
    public const string RuntimeApiVariable = "AWS_LAMBDA_RUNTIME_API";

    /// <summary>The environment variable X-Ray SDKs read the current trace header from (runtimes-custom).</summary>
    public const string TraceIdVariable = "_X_AMZN_TRACE_ID";

    internal const string ApiPrefix = "/2018-06-01/runtime";
    internal static readonly string UserAgent = $"bedrock-stream-runtime/1.0 (.NET {Environment.Version})";

    private readonly RuntimeApiEndpoint _endpoint;
    private readonly byte[] _nextRequest;
    private readonly byte[] _commonHeaders;
    private HttpConnection? _idle;
    private bool _disposed;

    /// <param name="hostAndPort">The Runtime API address, e.g. <c>127.0.0.1:9001</c>.</param>
    public RuntimeApiClient(string hostAndPort)
    {
        _endpoint = new RuntimeApiEndpoint(hostAndPort);
        _commonHeaders = Encoding.ASCII.GetBytes($"Host: {_endpoint.HostAndPort}\r\nUser-Agent: {UserAgent}\r\n");
        _nextRequest = Encoding.ASCII.GetBytes($"GET {ApiPrefix}/invocation/next HTTP/1.1\r\n{Encoding.ASCII.GetString(_commonHeaders)}\r\n");
    }

    /// <summary>Creates a client for the address in <c>AWS_LAMBDA_RUNTIME_API</c>.</summary>
    /// <exception cref="InvalidOperationException">The variable is not set (not running inside Lambda).</exception>
    public static RuntimeApiClient FromEnvironment()
    {
        string? value = Environment.GetEnvironmentVariable(RuntimeApiVariable);
        if (string.IsNullOrWhiteSpace(value))
        {
            throw new InvalidOperationException(
                $"{RuntimeApiVariable} is not set: this executable is a Lambda custom runtime and must run inside Lambda (or a Runtime API emulator).");
        }

        return new RuntimeApiClient(value);
    }

    /// <summary>The Runtime API address this client talks to.</summary>
    public string HostAndPort => _endpoint.HostAndPort;

    internal RuntimeApiEndpoint Endpoint => _endpoint;

    internal ReadOnlySpan<byte> CommonHeaders => _commonHeaders;

    /// <summary>
    /// <c>GET /runtime/invocation/next</c>: waits (without a timeout: the process may be frozen in between,
    /// runtimes-api) for the next event, and sets <c>_X_AMZN_TRACE_ID</c> from <c>Lambda-Runtime-Trace-Id</c>.
    /// </summary>
    /// <exception cref="RuntimeApiException">The Runtime API answered with a non-2xx status or without a request id.</exception>
    public async Task<Invocation> GetNextInvocationAsync(CancellationToken cancellationToken = default)
    {
        Response response = await SendAsync(_nextRequest, isNext: true, cancellationToken).ConfigureAwait(false);
        if (response.Status is < 200 or > 299)
        {
            throw new RuntimeApiException($"GET /runtime/invocation/next returned HTTP {response.Status}.", response.Status);
        }

        if (string.IsNullOrEmpty(response.RequestId))
        {
            throw new RuntimeApiException("GET /runtime/invocation/next returned no Lambda-Runtime-Aws-Request-Id header.", response.Status);
        }

        // runtimes-custom: the runtime propagates the X-Ray header through this variable; clearing it when absent
        // keeps one invocation's trace from leaking into the next.
        Environment.SetEnvironmentVariable(TraceIdVariable, response.TraceId);

        return new Invocation(response.RequestId, response.Deadline, response.FunctionArn ?? "", response.TraceId, response.Body);
    }

    /// <summary>
    /// Creates the streaming <c>/response</c> of one invocation. Its connection is opened right away, in
    /// parallel with the handler's own work, so the first byte is not delayed by a TCP handshake.
    /// </summary>
    public StreamingResponse CreateStreamingResponse(string requestId)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentException.ThrowIfNullOrEmpty(requestId);
        return new StreamingResponse(this, requestId);
    }

    /// <summary>
    /// <c>POST /runtime/invocation/{id}/error</c>: the invocation failed before its response started
    /// (after that, errors go into the stream's trailers; runtimes-custom).
    /// </summary>
    /// <exception cref="RuntimeApiException">The Runtime API did not answer 2xx.</exception>
    public Task PostErrorAsync(string requestId, string errorType, string errorMessage, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(requestId);
        return PostErrorDocumentAsync($"{ApiPrefix}/invocation/{Uri.EscapeDataString(requestId)}/error", "/runtime/invocation/{id}/error", errorType, errorMessage, cancellationToken);
    }

    /// <summary><c>POST /runtime/init/error</c>: initialization failed; the process should exit afterwards (runtimes-api).</summary>
    /// <exception cref="RuntimeApiException">The Runtime API did not answer 2xx.</exception>
    public Task PostInitErrorAsync(string errorType, string errorMessage, CancellationToken cancellationToken = default) =>
        PostErrorDocumentAsync($"{ApiPrefix}/init/error", "/runtime/init/error", errorType, errorMessage, cancellationToken);

    public void Dispose()
    {
        _disposed = true;
        Interlocked.Exchange(ref _idle, null)?.Dispose();
    }

    private async Task PostErrorDocumentAsync(string path, string pathForMessages, string errorType, string errorMessage, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(errorType);
        ArgumentNullException.ThrowIfNull(errorMessage);

        using var json = new PooledBufferWriter(512);
        ErrorPayload.WriteJson(json, errorType, errorMessage);

        using var request = new PooledBufferWriter(1024 + json.WrittenCount);
        request.WriteAscii("POST ");
        request.WriteAscii(path);
        request.Write(" HTTP/1.1\r\n"u8);
        request.Write(_commonHeaders);
        request.Write("Content-Type: "u8);
        request.WriteAscii(ErrorPayload.ContentType);
        // runtimes-api: Lambda builds the error from this header when the body cannot be read.
        request.Write("\r\nLambda-Runtime-Function-Error-Type: "u8);
        request.WriteHeaderValue(errorType);
        request.Write("\r\nContent-Length: "u8);
        Utf8Formatter.TryFormat(json.WrittenCount, request.GetSpan(11), out int digits);
        request.Advance(digits);
        request.Write("\r\n\r\n"u8);
        request.Write(json.WrittenSpan);

        Response response = await SendAsync(request.WrittenMemory, isNext: false, cancellationToken).ConfigureAwait(false);
        if (response.Status is < 200 or > 299)
        {
            throw new RuntimeApiException($"POST {pathForMessages} returned HTTP {response.Status}.", response.Status);
        }
    }

    /// <summary>Sends one request on the persistent connection and reads the whole response.</summary>
    private async Task<Response> SendAsync(ReadOnlyMemory<byte> request, bool isNext, CancellationToken cancellationToken)
    {
        while (true)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);

            // Taking the idle connection (instead of locking it) lets concurrent callers open their own.
            HttpConnection? connection = Interlocked.Exchange(ref _idle, null);
            bool reused = connection is not null;
            connection ??= await HttpConnection.ConnectAsync(_endpoint.EndPoint, cancellationToken).ConfigureAwait(false);
            try
            {
                await connection.WriteAsync(request, cancellationToken).ConfigureAwait(false);
                var response = new Response { Status = await connection.ReadResponseHeadAsync(cancellationToken).ConfigureAwait(false) };
                if (isNext)
                {
                    ReadInvocationHeaders(connection, ref response);
                }

                response.Body = await connection.ReadBodyAsync(cancellationToken).ConfigureAwait(false);

                HttpConnection? surplus = connection;
                if (connection.KeepAlive && !_disposed)
                {
                    surplus = Interlocked.Exchange(ref _idle, connection); // null unless someone else parked one
                }

                surplus?.Dispose();
                return response;
            }
            catch (Exception ex) when (reused && !connection.ReceivedResponseBytes && ex is IOException or System.Net.Sockets.SocketException)
            {
                // A kept-alive connection can be closed by the server while idle (or across a freeze). Nothing of the
                // response arrived, so the request was not processed: retry once on a fresh connection.
                connection.Dispose();
            }
            catch
            {
                connection.Dispose();
                throw;
            }
        }
    }

    private static void ReadInvocationHeaders(HttpConnection connection, ref Response response)
    {
        // Header names: "Next invocation" in https://docs.aws.amazon.com/lambda/latest/dg/runtimes-api.html
        if (connection.TryGetHeader("Lambda-Runtime-Aws-Request-Id"u8, out ReadOnlySpan<byte> id))
        {
            response.RequestId = Encoding.ASCII.GetString(id);
        }

        response.Deadline = DateTimeOffset.MaxValue;
        if (connection.TryGetHeader("Lambda-Runtime-Deadline-Ms"u8, out ReadOnlySpan<byte> deadline)
            && Utf8Parser.TryParse(deadline, out long epochMs, out int used) && used == deadline.Length)
        {
            response.Deadline = DateTimeOffset.FromUnixTimeMilliseconds(epochMs);
        }

        if (connection.TryGetHeader("Lambda-Runtime-Invoked-Function-Arn"u8, out ReadOnlySpan<byte> arn))
        {
            response.FunctionArn = Encoding.ASCII.GetString(arn);
        }

        if (connection.TryGetHeader("Lambda-Runtime-Trace-Id"u8, out ReadOnlySpan<byte> trace) && !trace.IsEmpty)
        {
            response.TraceId = Encoding.ASCII.GetString(trace);
        }
    }

    private struct Response
    {
        public int Status;
        public byte[] Body;
        public string? RequestId;
        public DateTimeOffset Deadline;
        public string? FunctionArn;
        public string? TraceId;
    }
}
